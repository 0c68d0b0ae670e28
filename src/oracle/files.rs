//! The scenario's files as real files on tmpfs (order-0 page-cache folios with the default
//! `shmem_enabled = never`, rmap-semantics.md §6.2b), in a directory of their own, named after the
//! scenario's files. A file is written in full when it is created or grown, so every page is in
//! the page cache, as the model assumes.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::OracleError;
use super::cleanup::RunGuard;
use crate::model::PAGE_SIZE;

/// Where the files live: tmpfs is required.
pub const TMPFS_DIR: &str = "/dev/shm";

/// One page write, as `Files::grow` hands it to its caller.
pub type PageWrite<'a> = &'a mut dyn FnMut() -> std::io::Result<()>;

/// The scenario's files.
pub struct Files {
    dir: PathBuf,
    by_name: BTreeMap<String, (PathBuf, u64)>,
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Files {
    /// Makes the directory (registered for removal).
    pub fn new(guard: &RunGuard, tag: &str) -> Result<Files, OracleError> {
        let base = Path::new(TMPFS_DIR);
        match nix::sys::statfs::statfs(base) {
            Ok(s) if s.filesystem_type() == nix::sys::statfs::TMPFS_MAGIC => {}
            Ok(_) => {
                return Err(OracleError::Unsupported(format!(
                    "{TMPFS_DIR} is not a tmpfs: the scenario's files need tmpfs for order-0 page-cache pages"
                )));
            }
            Err(e) => {
                return Err(OracleError::Unsupported(format!(
                    "{TMPFS_DIR}: {e}: the scenario's files need a tmpfs there"
                )));
            }
        }
        let dir = base.join(format!("rmapviz-check-{tag}"));
        std::fs::create_dir(&dir)
            .map_err(|e| OracleError::Failed(format!("{}: {e}", dir.display())))?;
        guard.add_path(dir.clone());
        Ok(Files {
            dir,
            by_name: BTreeMap::new(),
        })
    }

    /// The scenario name of a path in the directory, for `/proc/PID/maps`.
    pub fn name_of(&self, path: &str) -> Option<String> {
        self.by_name
            .iter()
            .find(|(_, (p, _))| p.as_os_str() == path)
            .map(|(n, _)| n.clone())
    }

    /// The path of a scenario file (made on first use, empty).
    pub fn path(&mut self, name: &str) -> Result<PathBuf, OracleError> {
        if let Some((p, _)) = self.by_name.get(name) {
            return Ok(p.clone());
        }
        let mut base = sanitize(name);
        if base.is_empty() || base == "." || base == ".." {
            base = "file".into();
        }
        let mut p = self.dir.join(&base);
        let mut n = 1;
        while self.by_name.values().any(|(q, _)| *q == p) {
            n += 1;
            p = self.dir.join(format!("{base}.{n}"));
        }
        File::create(&p).map_err(|e| OracleError::Failed(format!("{}: {e}", p.display())))?;
        self.by_name.insert(name.to_string(), (p.clone(), 0));
        Ok(p)
    }

    /// Grows file `name` to `pages` pages, writing each new page (so it is in the page cache).
    /// `around(index, write)` runs the write of page `index`; it may wrap it (reclaim charging).
    pub fn grow(
        &mut self,
        name: &str,
        pages: u64,
        around: &mut dyn FnMut(u64, PageWrite<'_>) -> std::io::Result<()>,
    ) -> Result<(), OracleError> {
        let path = self.path(name)?;
        let have = self.by_name.get(name).map_or(0, |x| x.1);
        if pages <= have {
            return Ok(());
        }
        let f: File = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| OracleError::Failed(format!("{}: {e}", path.display())))?;
        let data = vec![0x5au8; PAGE_SIZE as usize];
        for index in have..pages {
            around(index, &mut || f.write_all_at(&data, index * PAGE_SIZE))
                .map_err(|e| OracleError::Failed(format!("{}: {e}", path.display())))?;
        }
        if let Some(x) = self.by_name.get_mut(name) {
            x.1 = pages;
        }
        Ok(())
    }
}
