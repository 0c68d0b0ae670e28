//! Writing the files rmapviz makes (`shot`, `record`, `export`, `gen`, `:w`, the journal, and
//! any output to come) safely, also as root in a directory others can write to, and reading
//! files with a bound on their size.
//!
//! [`write_file`] writes a temporary file with a random name, created exclusively and without
//! following symlinks, in the target's directory, then renames it over the target: a name
//! planted in advance (a symlink to some other file) is never written through, and a failure
//! never leaves a partial file. An existing target is refused unless the caller says to replace
//! it ([`Existing::Replace`], the CLI's `--force`, the TUI's `:w!`); a replaced file keeps its
//! mode (and, when root replaces it, its owner). A FIFO or a character device (`/dev/stdout`) is
//! written in place: it is not a file that could be lost.

use std::fs::{File, Metadata, OpenOptions, Permissions};
use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

/// What [`write_file`] does when the target exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    /// Leave it alone and say so ([`WriteError::Exists`]).
    Refuse,
    /// Replace it, keeping its mode.
    Replace,
}

impl Existing {
    /// `Replace` when `force` is set.
    pub fn replace_if(force: bool) -> Existing {
        if force {
            Existing::Replace
        } else {
            Existing::Refuse
        }
    }
}

/// Why a file was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The target exists and [`Existing::Refuse`] was asked for.
    #[error("{}: exists", .0.display())]
    Exists(PathBuf),
    #[error("{}: cannot write: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes `bytes` to `path` (see the module's documentation).
pub fn write_file(path: &Path, bytes: &[u8], existing: Existing) -> Result<(), WriteError> {
    let io = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(mut f) = special_target(path).map_err(io)? {
        return f.write_all(bytes).and_then(|()| f.flush()).map_err(io);
    }
    let old = match std::fs::symlink_metadata(path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(e)),
    };
    if let Some(m) = &old {
        if m.is_dir() {
            return Err(io(std::io::Error::other("is a directory")));
        }
        if existing == Existing::Refuse {
            return Err(WriteError::Exists(path.to_path_buf()));
        }
    }
    let name = path
        .file_name()
        .ok_or_else(|| io(std::io::Error::other("not a file name")))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // The temporary name is the target's plus 16 random characters (no pid, no counter): another
    // user cannot guess it to plant a file or link there, and create_new + O_NOFOLLOW refuse one
    // that is there anyway.
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", name.to_string_lossy()))
        .rand_bytes(16)
        .make_in(dir, |p| {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .mode(0o666)
                .open(p)
        })
        .map_err(io)?;
    let f = tmp.as_file_mut();
    if let Some(m) = old.as_ref().filter(|m| m.is_file()) {
        keep_mode_and_owner(f, m).map_err(io)?;
    }
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(io)?;
    let done = match existing {
        Existing::Replace => tmp.persist(path),
        Existing::Refuse => tmp.persist_noclobber(path),
    };
    match done {
        Ok(_) => {}
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(WriteError::Exists(path.to_path_buf()));
        }
        Err(e) => return Err(io(e.error)),
    }
    // The new name on disk too (a crash right after must not lose the rename).
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The file of a replaced target gets its permission bits, and (when root writes a file that
/// someone else owns) its owner.
fn keep_mode_and_owner(f: &File, old: &Metadata) -> std::io::Result<()> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 && old.uid() != 0 {
        std::os::unix::fs::fchown(f, Some(old.uid()), Some(old.gid()))?;
    }
    f.set_permissions(Permissions::from_mode(old.mode() & 0o7777))
}

/// A target that is written in place: an existing FIFO or character device (`/dev/stdout`,
/// `/dev/null`), reached directly or through a symlink that root or the caller owns. A block
/// device or a socket is refused.
fn special_target(path: &Path) -> std::io::Result<Option<File>> {
    let Ok(link) = std::fs::symlink_metadata(path) else {
        return Ok(None);
    };
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    let kind = if link.file_type().is_symlink() {
        if link.uid() != 0 && link.uid() != me {
            return Ok(None);
        }
        match std::fs::metadata(path) {
            Ok(m) => m.file_type(),
            Err(_) => return Ok(None),
        }
    } else {
        link.file_type()
    };
    if kind.is_fifo() || kind.is_char_device() {
        return OpenOptions::new().write(true).open(path).map(Some);
    }
    if kind.is_block_device() || kind.is_socket() {
        return Err(std::io::Error::other(
            "is a block device or a socket, not a file",
        ));
    }
    Ok(None)
}

/// Opens lock file `p` (read and write, never through a symlink; made with mode 0600 if
/// `create` and missing) and takes an exclusive flock on it without waiting. None when another
/// open file holds it, or when the file was replaced meanwhile (a holder removed it as it let
/// go): the lock returned is always on the file that has the name now.
pub fn try_lock(p: &Path, create: bool) -> std::io::Result<Option<Flock<File>>> {
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(p)?;
    match Flock::lock(f, FlockArg::LockExclusiveNonblock) {
        Ok(l) => {
            let same = std::fs::symlink_metadata(p)
                .ok()
                .zip(l.metadata().ok())
                .is_some_and(|(a, b)| a.dev() == b.dev() && a.ino() == b.ino());
            Ok(same.then_some(l))
        }
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, e)) => Err(e.into()),
    }
}

/// The largest file [`read_limited`] reads by default: 64 MiB (a scenario of a million steps
/// is about 50 MiB).
pub const READ_LIMIT: u64 = 64 << 20;

/// Reads a regular file of at most `limit` bytes as text. A FIFO, a device or a directory is
/// refused without reading (and without waiting for a FIFO's writer), and so is a larger file.
pub fn read_limited(path: &Path, limit: u64) -> std::io::Result<String> {
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)?;
    let m = f.metadata()?;
    let t = m.file_type();
    if !t.is_file() {
        let what = if t.is_dir() {
            "a directory"
        } else if t.is_fifo() {
            "a FIFO"
        } else if t.is_char_device() || t.is_block_device() {
            "a device"
        } else {
            "a socket"
        };
        return Err(std::io::Error::other(format!(
            "is {what}, not a regular file"
        )));
    }
    let too_big = || {
        std::io::Error::other(format!(
            "is larger than {}, the most rmapviz reads",
            size_text(limit)
        ))
    };
    if m.len() > limit {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(m.len() as usize);
    f.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "is not UTF-8 text"))
}

/// A size for people: `64 MiB`, `1 GiB`, or bytes when it is not a whole number of MiB.
pub fn size_text(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b => format!("{b} bytes"),
    }
}

/// A base directory of the XDG specification: `$VAR` when it is set to an absolute path (a
/// relative one is ignored, as the specification says), else `$HOME/FALLBACK`.
pub fn xdg_dir(var: &str, fallback: &str) -> Option<std::path::PathBuf> {
    match std::env::var_os(var).map(std::path::PathBuf::from) {
        Some(d) if d.is_absolute() => Some(d),
        _ => std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| std::path::PathBuf::from(h).join(fallback)),
    }
}

/// A count with its noun in the right number: `1 process`, `2 processes`, `0 vmas`.
pub fn counted(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A path in the temporary directory for the test `name` of this process, with nothing left
/// at it by an earlier run; the test creates what it needs there.
#[cfg(test)]
pub(crate) fn fresh_test_path(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rmapviz-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> PathBuf {
        let d = fresh_test_path(&format!("util-{tag}"));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn an_existing_file_is_refused_unless_replaced_and_keeps_its_mode() {
        let d = dir("existing");
        let p = d.join("out.txt");
        write_file(&p, b"one", Existing::Refuse).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        std::fs::set_permissions(&p, Permissions::from_mode(0o600)).unwrap();
        let e = write_file(&p, b"two", Existing::Refuse).unwrap_err();
        assert!(matches!(e, WriteError::Exists(_)), "{e}");
        assert_eq!(std::fs::read(&p).unwrap(), b"one", "left alone");
        write_file(&p, b"two", Existing::Replace).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o600, "the replaced file's mode is kept");
        // Nothing else is left in the directory (no temporary file).
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_symlink_at_the_target_is_replaced_not_written_through() {
        let d = dir("symlink");
        let victim = d.join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let p = d.join("out.txt");
        std::os::unix::fs::symlink(&victim, &p).unwrap();
        assert!(matches!(
            write_file(&p, b"new", Existing::Refuse),
            Err(WriteError::Exists(_))
        ));
        write_file(&p, b"new", Existing::Replace).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(std::fs::symlink_metadata(&p).unwrap().is_file());
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn special_files_are_refused_as_input() {
        let e = read_limited(Path::new("/dev/zero"), READ_LIMIT).unwrap_err();
        assert!(e.to_string().contains("a device"), "{e}");
        let e = read_limited(Path::new("/"), READ_LIMIT).unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
        let d = dir("limit");
        let p = d.join("big.ron");
        std::fs::write(&p, vec![b' '; 2000]).unwrap();
        let e = read_limited(&p, 1000).unwrap_err();
        assert!(e.to_string().contains("larger than"), "{e}");
        assert_eq!(read_limited(&p, 2000).unwrap().len(), 2000);
        let _ = std::fs::remove_dir_all(&d);
    }
}
