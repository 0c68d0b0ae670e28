//! Directories for tests.

use std::ffi::OsStr;
use std::ops::Deref;
use std::path::Path;

/// The directory of one test: created new and empty with a random name (so neither a process
/// id that an earlier run had, nor another test running at the same time, shares it) and
/// removed, with whatever it holds, when dropped. It reads as the [`Path`] it is.
pub struct TestDir(tempfile::TempDir);

/// A [`TestDir`] under the system's temporary directory, named `rmapviz-TAG-` and random
/// letters.
pub fn test_dir(tag: &str) -> TestDir {
    test_dir_in(&std::env::temp_dir(), tag)
}

/// A [`TestDir`] under `parent` (for a test that needs a given filesystem).
pub fn test_dir_in(parent: &Path, tag: &str) -> TestDir {
    let d = tempfile::Builder::new()
        .prefix(&format!("rmapviz-{tag}-"))
        .tempdir_in(parent)
        .unwrap_or_else(|e| panic!("cannot create a directory in {}: {e}", parent.display()));
    TestDir(d)
}

impl Deref for TestDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for TestDir {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<OsStr> for TestDir {
    fn as_ref(&self) -> &OsStr {
        self.0.path().as_os_str()
    }
}
