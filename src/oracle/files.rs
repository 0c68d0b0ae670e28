//! The scenario's files as memfds: shmem files like those of tmpfs (order-0 page-cache folios
//! with the default `shmem_enabled = never`, docs/semantics.md §6.2b) that have no name in any
//! directory, so they go away with the last process that has them open or mapped, the
//! controller killed with SIGKILL included. A driven process maps one through the descriptor
//! the controller sends with the request (`SCM_RIGHTS`), so every process maps the same open
//! file, as the model's one file. A file is written in full when it is created or grown, so
//! every page is in the page cache, as the model assumes.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::FileExt;

use nix::sys::memfd::{MFdFlags, memfd_create};

use super::OracleError;
use crate::model::PAGE_SIZE;

/// One page write, as `Files::grow` hands it to its caller.
pub type PageWrite<'a> = &'a mut dyn FnMut() -> std::io::Result<()>;

/// One file: its descriptor, the name `/proc/PID/maps` shows for it, its size in pages.
struct Memfd {
    file: File,
    maps_name: String,
    pages: u64,
}

/// The scenario's files.
#[derive(Default)]
pub struct Files {
    by_name: BTreeMap<String, Memfd>,
}

impl Files {
    pub fn new() -> Files {
        Files::default()
    }

    /// The scenario name of a file as `/proc/PID/maps` shows it.
    pub fn name_of(&self, path: &str) -> Option<String> {
        self.by_name
            .iter()
            .find(|(_, m)| m.maps_name == path)
            .map(|(n, _)| n.clone())
    }

    /// The descriptor of a scenario file (made on first use, empty), to send with a request.
    pub fn fd(&mut self, name: &str) -> Result<RawFd, OracleError> {
        if let Some(m) = self.by_name.get(name) {
            return Ok(m.file.as_raw_fd());
        }
        // Numbered, not named after the scenario's file: any name is then fine.
        let memfd_name = format!("rmapviz-{}", self.by_name.len());
        let fd = memfd_create(memfd_name.as_str(), MFdFlags::MFD_CLOEXEC)
            .map_err(|e| OracleError::Failed(format!("memfd_create for file {name}: {e}")))?;
        let file = File::from(fd);
        let raw = file.as_raw_fd();
        self.by_name.insert(
            name.to_string(),
            Memfd {
                file,
                maps_name: format!("/memfd:{memfd_name} (deleted)"),
                pages: 0,
            },
        );
        Ok(raw)
    }

    /// Grows file `name` to `pages` pages, writing each new page (so it is in the page cache).
    /// `around(index, write)` runs the write of page `index`; it may wrap it (reclaim charging).
    pub fn grow(
        &mut self,
        name: &str,
        pages: u64,
        around: &mut dyn FnMut(u64, PageWrite<'_>) -> std::io::Result<()>,
    ) -> Result<(), OracleError> {
        self.fd(name)?;
        let Some(m) = self.by_name.get_mut(name) else {
            return Ok(());
        };
        if pages <= m.pages {
            return Ok(());
        }
        let data = vec![0x5au8; PAGE_SIZE as usize];
        let f = &m.file;
        for index in m.pages..pages {
            around(index, &mut || f.write_all_at(&data, index * PAGE_SIZE))
                .map_err(|e| OracleError::Failed(format!("file {name}: {e}")))?;
        }
        m.pages = pages;
        Ok(())
    }
}
