//! The files a traced program maps, named by path, with `dev:inode` added where two different
//! files showed the same path (a file replaced while the program ran, a deleted one). The size
//! and page-cache state are recorded as observed the first time the file is mapped.

use std::collections::HashMap;

use crate::oracle::observed::{DevInode, MapsEntry};

/// What the trace learned about one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracedFile {
    /// The name the scenario uses.
    pub name: String,
    pub file: DevInode,
    /// Its size and page-cache state when it was first mapped, when the file could be opened.
    pub size: Option<FileSize>,
}

/// How big a file is and how much of it is cached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileSize {
    /// Size in pages (rounded up).
    pub pages: u64,
    /// Pages in the page cache (mincore), when known.
    pub cached: Option<u64>,
}

/// The files seen so far, by `dev:inode`.
#[derive(Debug, Default)]
pub struct FileTable {
    by_key: HashMap<DevInode, usize>,
    by_name: HashMap<String, usize>,
    files: Vec<TracedFile>,
}

impl FileTable {
    /// The scenario's name for the file behind `e`; `probe` is asked once per file for its
    /// size and cache state.
    pub fn name(&mut self, e: &MapsEntry, probe: impl FnOnce() -> Option<FileSize>) -> String {
        if let Some(&i) = self.by_key.get(&e.file) {
            return self.files[i].name.clone();
        }
        let path = e.path.clone();
        let name = if self.by_name.contains_key(&path) {
            format!("{path} ({})", e.file)
        } else {
            path
        };
        let i = self.files.len();
        self.files.push(TracedFile {
            name: name.clone(),
            file: e.file.clone(),
            size: probe(),
        });
        self.by_key.insert(e.file.clone(), i);
        self.by_name.insert(name.clone(), i);
        name
    }

    /// The name already given to the file behind `e`, if any.
    pub fn known(&self, e: &MapsEntry) -> Option<&str> {
        self.by_key
            .get(&e.file)
            .map(|&i| self.files[i].name.as_str())
    }

    /// Every file, in the order first seen.
    pub fn files(&self) -> &[TracedFile] {
        &self.files
    }
}

/// Size and page-cache state of the file mapped at `e` in task `tid`: opened through
/// `/proc/TID/map_files` (which works for deleted files too), else by path if that still names
/// the same `dev:inode`. The cache state comes from `mincore(2)` on a mapping of our own,
/// which maps nothing in (no page is touched).
#[cfg(target_os = "linux")]
pub fn probe(tid: i32, e: &MapsEntry) -> Option<FileSize> {
    use std::os::unix::fs::MetadataExt;
    let via_map_files = format!("/proc/{tid}/map_files/{:x}-{:x}", e.start, e.end);
    let file = std::fs::File::open(&via_map_files)
        .ok()
        .or_else(|| std::fs::File::open(&e.path).ok())?;
    let meta = file.metadata().ok()?;
    if meta.ino() != e.file.inode {
        return None;
    }
    let size = meta.len();
    let pages = size.div_ceil(crate::model::PAGE_SIZE);
    Some(FileSize {
        pages,
        cached: cached_pages(&file, size),
    })
}

#[cfg(target_os = "linux")]
fn cached_pages(file: &std::fs::File, size: u64) -> Option<u64> {
    use nix::sys::mman::{MapFlags, ProtFlags, mmap, munmap};
    use std::num::NonZeroUsize;
    let len = NonZeroUsize::new(usize::try_from(size).ok()?)?;
    // SAFETY: a fresh shared read-only mapping of a file we opened; it is only given to mincore
    // (which reads no page of it) and unmapped before returning.
    let ptr = unsafe {
        mmap(
            None,
            len,
            ProtFlags::PROT_READ,
            MapFlags::MAP_SHARED,
            file,
            0,
        )
    }
    .ok()?;
    let n = len.get().div_ceil(crate::model::PAGE_SIZE as usize);
    let mut vec = vec![0u8; n];
    // SAFETY: `ptr` maps `len` bytes and `vec` holds one byte per page of them.
    let r = unsafe { libc::mincore(ptr.as_ptr(), len.get(), vec.as_mut_ptr()) };
    // SAFETY: the mapping made above, of that length.
    let _ = unsafe { munmap(ptr, len.get()) };
    (r == 0).then(|| vec.iter().filter(|b| **b & 1 != 0).count() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, dev: &str, inode: u64) -> MapsEntry {
        MapsEntry::parse(&format!("1000-2000 r--p 00000000 {dev} {inode} {path}")).unwrap()
    }

    #[test]
    fn files_are_named_by_path_and_told_apart_by_dev_inode() {
        let mut t = FileTable::default();
        let a = t.name(&entry("/lib/libc.so.6", "fd:01", 10), || {
            Some(FileSize {
                pages: 100,
                cached: Some(90),
            })
        });
        assert_eq!(a, "/lib/libc.so.6");
        // The same file again: the same name, no second probe.
        let again = t.name(&entry("/lib/libc.so.6", "fd:01", 10), || {
            panic!("probed twice")
        });
        assert_eq!(again, a);
        // Another file at the same path (replaced while the program ran).
        let b = t.name(&entry("/lib/libc.so.6", "fd:01", 11), || None);
        assert_eq!(b, "/lib/libc.so.6 (fd:01:11)");
        // The same file under another path keeps its first name.
        let c = t.name(&entry("/usr/lib/libc.so.6", "fd:01", 10), || None);
        assert_eq!(c, a);
        assert_eq!(t.files().len(), 2);
        assert_eq!(
            t.files()[0].size,
            Some(FileSize {
                pages: 100,
                cached: Some(90)
            })
        );
        assert_eq!(t.files()[1].size, None);
    }
}
