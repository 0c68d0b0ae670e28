//! `rmapviz trace` on real programs: small programs written for these tests (this test binary
//! re-executed in a "traced program" mode: fork with copy-on-write, mremap, madvise, threads,
//! exec, vfork, brk, stack growth) and programs found on any Debian machine (`sh -c`, `ls`).
//! Each traced scenario must hold the ops the program did, replay under every scheme with no
//! refused step, and agree with the kernel under `--check`.
//!
//! The `rmapviz trace` command itself (its files, errors, caps, an ordinary user) is tested in
//! `trace_cli.rs`.
//!
//! Tracing needs Linux, ptrace and /proc/PID/pagemap; the full check (frame numbers) needs root.
//! Where the machine does not allow it the tests print why and pass as skipped, unless
//! `RMAPVIZ_REQUIRE_ORACLE=1` (set by `.ci/run`), which turns a skip into a failure.

mod common;

#[cfg(target_os = "linux")]
mod linux {

    use rmapviz::model::{Addr, Advice, MmapArgs, Op};
    use rmapviz::scenario::Scenario;
    use rmapviz::trace::{ProgramOutput, Trace, TraceOptions, trace};

    use super::common::{full_check_may_run, replays_everywhere};

    /// The environment variable that turns this test binary into a traced program.
    const MODE: &str = "RMAPVIZ_TRACED_PROGRAM";
    /// Where the programs map their memory (MAP_FIXED_NOREPLACE), so the tests can find it.
    const BASE: usize = 0x5a5a_0000_0000;
    const PAGE: usize = 4096;

    // ----- the traced programs ----------------------------------------------------------------

    fn map(addr: usize, pages: usize) -> *mut u8 {
        // SAFETY: a fresh anonymous mapping at an address nothing else uses.
        let p = unsafe {
            libc::mmap(
                addr as *mut libc::c_void,
                pages * PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
                -1,
                0,
            )
        };
        assert_eq!(p as usize, addr, "mmap at {addr:#x}");
        p.cast()
    }

    fn touch(p: *mut u8, pages: usize, value: u8) {
        for i in 0..pages {
            // SAFETY: `p` maps at least `pages` writable pages.
            unsafe { std::ptr::write_volatile(p.add(i * PAGE), value) };
        }
    }

    fn wait_child(pid: libc::pid_t) {
        let mut st = 0;
        // SAFETY: waiting for our own child.
        unsafe { libc::waitpid(pid, &mut st, 0) };
    }

    /// fork, then the child writes two of four shared pages (copy-on-write) and the parent one.
    fn fork_cow() {
        let p = map(BASE, 4);
        touch(p, 4, 1);
        // SAFETY: the child only writes memory and calls _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            touch(p, 2, 2);
            // SAFETY: a system call in the child; the page stays mapped.
            unsafe { libc::getppid() };
            // SAFETY: ends the child without running the test harness's exit handlers.
            unsafe { libc::_exit(0) };
        }
        wait_child(pid);
        // SAFETY: writing our own mapping.
        unsafe { std::ptr::write_volatile(p.add(2 * PAGE), 3) };
        // SAFETY: a system call so the write above is observed before exit.
        unsafe { libc::getpid() };
    }

    /// mremap: grow four written pages to eight, moved to another address.
    fn mremap() {
        let p = map(BASE, 4);
        touch(p, 4, 1);
        let to = BASE + 0x100_0000;
        // SAFETY: moving our own mapping to a free address.
        let q = unsafe {
            libc::mremap(
                p.cast(),
                4 * PAGE,
                8 * PAGE,
                libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
                to as *mut libc::c_void,
            )
        };
        assert_eq!(q as usize, to);
        touch(q.cast(), 8, 2);
        // SAFETY: a system call so the writes are observed.
        unsafe { libc::getpid() };
    }

    /// madvise(MADV_DONTNEED) zaps two of four written pages; the vma stays. MADV_FREE on
    /// three more written pages, one of them written again. A MADV_DONTNEED over a range with a
    /// hole fails with ENOMEM after zapping the mapped parts.
    fn madvise() {
        let p = map(BASE, 4);
        touch(p, 4, 1);
        // SAFETY: our own mapping.
        let r = unsafe { libc::madvise(p.add(PAGE).cast(), 2 * PAGE, libc::MADV_DONTNEED) };
        assert_eq!(r, 0);
        let q = map(BASE + 0x10_0000, 3);
        touch(q, 3, 1);
        // SAFETY: our own mapping.
        let r = unsafe { libc::madvise(q.cast(), 3 * PAGE, libc::MADV_FREE) };
        assert_eq!(r, 0);
        // SAFETY: writing our own mapping after the advice.
        unsafe { std::ptr::write_volatile(q.add(PAGE), 2) };
        let h = map(BASE + 0x20_0000, 1);
        let h2 = map(BASE + 0x20_2000, 1);
        touch(h, 1, 1);
        touch(h2, 1, 1);
        // SAFETY: our own mappings and the hole between them.
        let r = unsafe { libc::madvise(h.cast(), 3 * PAGE, libc::MADV_DONTNEED) };
        assert_eq!(r, -1, "a hole in the range: ENOMEM");
        // SAFETY: a system call so the state after madvise is observed.
        unsafe { libc::getpid() };
    }

    /// A thread maps and writes memory: its ops are the process's.
    fn threads() {
        let t = std::thread::spawn(|| {
            let p = map(BASE, 3);
            touch(p, 3, 1);
            // SAFETY: a system call so the writes are observed.
            unsafe { libc::getpid() };
        });
        t.join().expect("thread");
    }

    /// fork, and the child execs a program.
    fn exec() {
        let p = map(BASE, 2);
        touch(p, 2, 1);
        let prog = c"/bin/true";
        let argv = [prog.as_ptr(), std::ptr::null()];
        // SAFETY: the child only calls execv and _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: argv is NULL-terminated.
            unsafe {
                libc::execv(prog.as_ptr(), argv.as_ptr());
                libc::_exit(127)
            }
        }
        wait_child(pid);
    }

    /// vfork (posix_spawn): the child uses the parent's address space until it execs.
    fn vfork() {
        let mut pid = 0;
        let prog = c"/bin/true";
        let argv = [prog.as_ptr() as *mut libc::c_char, std::ptr::null_mut()];
        // SAFETY: posix_spawn with a NULL-terminated argv and the current environment.
        let r = unsafe {
            libc::posix_spawn(
                &mut pid,
                prog.as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                argv.as_ptr(),
                std::ptr::null(),
            )
        };
        assert_eq!(r, 0);
        wait_child(pid);
    }

    /// The heap grows with brk, then shrinks.
    fn brk() {
        // SAFETY: sbrk(0) reads the break; then it grows by 64 KiB, whose first page is written,
        // and shrinks by 32 KiB (the allocator of this test binary does not use that memory).
        unsafe {
            let old = libc::sbrk(0) as usize;
            libc::sbrk(0x10000);
            std::ptr::write_volatile(((old + 0xfff) & !0xfff) as *mut u8, 1);
            libc::getpid();
            libc::sbrk(-0x8000);
            libc::getpid();
        }
    }

    #[test]
    fn traced_program() {
        let Ok(which) = std::env::var(MODE) else {
            return;
        };
        match which.as_str() {
            "fork_cow" => fork_cow(),
            "mremap" => mremap(),
            "madvise" => madvise(),
            "threads" => threads(),
            "exec" => exec(),
            "vfork" => vfork(),
            "brk" => brk(),
            other => panic!("no traced program {other}"),
        }
        std::process::exit(0);
    }

    // ----- tracing them -------------------------------------------------------------------------

    /// Traces `argv` with the check on, after a first trace without it whose mapped files are
    /// then read whole with read(2).
    ///
    /// Why: the kernel's fault-around (filemap_map_pages) maps only file pages that are up to
    /// date, unlocked and not marked for readahead; a library whose pages came in through
    /// another program's page faults can keep a folio with the readahead mark for as long as it
    /// stays cached, and fault-around then leaves those ptes out on every run. The model cannot
    /// know the page cache's state and maps the whole window. Seen in CI: `ls /` agreed on 98.7%
    /// of its ptes (6 ptes of libpcre2's text missing from step 90 on); after `cat` of that
    /// library, 100%. A sequential read(2) of the whole file reaches every readahead mark and
    /// clears it.
    fn traced(argv: &[&str]) -> Trace {
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        let first = trace(
            &argv,
            &TraceOptions {
                output: ProgramOutput::Null,
                ..TraceOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("trace {argv:?} (to find its files): {e}"));
        for step in &first.scenario.steps {
            if let Op::Mmap(MmapArgs {
                file: Some(path), ..
            }) = &step.op
            {
                // A file the program mapped and then removed cannot be read; nothing to warm.
                let _ = std::fs::read(path);
            }
        }
        trace(
            &argv,
            &TraceOptions {
                check: true,
                output: ProgramOutput::Null,
                ..TraceOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("trace {argv:?}: {e}"))
    }

    /// Traces this test binary as program `which` (through env(1), which sets the mode: the
    /// tests run in parallel threads, so none changes its own environment).
    fn program(which: &str) -> Trace {
        let exe = std::env::current_exe().expect("test binary");
        let exe = exe.to_str().expect("utf-8 path");
        let mode = format!("{MODE}={which}");
        traced(&[
            "env",
            &mode,
            exe,
            "--exact",
            "linux::traced_program",
            "--test-threads=1",
            "-q",
        ])
    }

    /// The check agreed on at least `pct` percent of the observed ptes.
    fn agrees(t: &Trace, pct: f64) {
        let c = t.check.as_ref().expect("check");
        assert!(
            c.agreement() >= pct,
            "agreement {:.2}% < {pct}%:\n{}",
            c.agreement(),
            c.text(false)
        );
    }

    fn has(s: &Scenario, pred: impl Fn(&Op) -> bool) -> Option<usize> {
        s.ops().position(pred)
    }

    fn in_base(addr: Addr) -> bool {
        (BASE as u64..BASE as u64 + 0x200_0000).contains(&addr)
    }

    #[test]
    fn fork_with_copy_on_write_is_recorded_and_agrees() {
        if !full_check_may_run("fork_with_copy_on_write_is_recorded_and_agrees") {
            return;
        }
        let t = program("fork_cow");
        let s = &t.scenario;
        let mmap = has(
            s,
            |o| matches!(o, Op::Mmap(MmapArgs { pid: 1, addr, pages: 4, .. }) if *addr == BASE as u64),
        )
        .expect("the program's mmap");
        let write = has(
            s,
            |o| matches!(o, Op::Write { pid: 1, addr, pages: 4, .. } if *addr == BASE as u64),
        )
        .expect("the parent's writes");
        let fork = has(s, |o| matches!(o, Op::Fork { pid: 1, .. })).expect("a fork");
        let Op::Fork { child, .. } = s.steps[fork].op else {
            unreachable!()
        };
        // The child's copy-on-write faults on the first two pages, after the fork.
        let cow = has(s, |o| {
            matches!(o, Op::Write { pid, addr, pages: 2, .. } if *pid == child && *addr == BASE as u64)
        })
        .expect("the child's copy-on-write");
        let exit = has(s, |o| matches!(o, Op::Exit { pid, .. } if *pid == child)).expect("exit");
        assert!(mmap < write && write < fork && fork < cow && cow < exit);
        // The parent's later write reuses its page (the child copied): nothing to record.
        assert!(
            !s.steps[exit..]
                .iter()
                .map(|st| &st.op)
                .any(|o| matches!(o, Op::Write { pid: 1, addr, .. } if in_base(*addr))),
            "a reuse leaves no trace in pagemap"
        );
        replays_everywhere(s);
        agrees(&t, 99.0);
    }

    #[test]
    fn mremap_is_recorded_and_agrees() {
        if !full_check_may_run("mremap_is_recorded_and_agrees") {
            return;
        }
        let t = program("mremap");
        let s = &t.scenario;
        let to = BASE as u64 + 0x100_0000;
        let m = has(s, |o| {
            matches!(o, Op::Mremap { pid: 1, addr, pages: 4, new_pages: Some(8), to: Some(t), .. }
                if *addr == BASE as u64 && *t == to)
        })
        .expect("the mremap");
        assert!(
            has(
                s,
                |o| matches!(o, Op::Write { pid: 1, addr, pages: 4, .. } if *addr == to + 0x4000)
            )
            .is_some_and(|w| w > m),
            "the writes to the new half, after the move"
        );
        replays_everywhere(s);
        agrees(&t, 99.0);
    }

    #[test]
    fn a_threads_ops_belong_to_its_process() {
        if !full_check_may_run("a_threads_ops_belong_to_its_process") {
            return;
        }
        let t = program("threads");
        let s = &t.scenario;
        assert!(
            has(
                s,
                |o| matches!(o, Op::Mmap(MmapArgs { pid: 1, addr, pages: 3, .. }) if *addr == BASE as u64)
            )
            .is_some()
        );
        assert!(
            has(
                s,
                |o| matches!(o, Op::Write { pid: 1, addr, pages: 3, .. } if *addr == BASE as u64)
            )
            .is_some()
        );
        assert!(
            !s.ops()
                .any(|o| matches!(o, Op::Fork { .. } | Op::Spawn { .. })),
            "a thread is no new process"
        );
        replays_everywhere(s);
        agrees(&t, 99.0);
    }

    #[test]
    fn exec_in_a_forked_child_is_recorded_and_agrees() {
        if !full_check_may_run("exec_in_a_forked_child_is_recorded_and_agrees") {
            return;
        }
        let t = program("exec");
        let s = &t.scenario;
        let fork = has(s, |o| {
            matches!(
                o,
                Op::Fork {
                    pid: 1,
                    child: 2,
                    ..
                }
            )
        })
        .expect("fork");
        let exec = has(s, |o| matches!(o, Op::Exec { pid: 2, .. })).expect("exec");
        assert!(fork < exec);
        // After the exec, /bin/true's mappings, read from /proc/PID/maps.
        assert!(s.steps[exec..].iter().map(|st| &st.op).any(
            |o| matches!(o, Op::Mmap(MmapArgs { pid: 2, file: Some(f), .. }) if f.ends_with("true"))
        ));
        replays_everywhere(s);
        agrees(&t, 99.0);
    }

    #[test]
    fn a_vfork_child_gets_a_new_address_space_when_it_execs() {
        if !full_check_may_run("a_vfork_child_gets_a_new_address_space_when_it_execs") {
            return;
        }
        let t = program("vfork");
        let s = &t.scenario;
        let spawn = has(s, |o| matches!(o, Op::Spawn { pid: 2, .. })).expect("spawn");
        assert!(
            !s.ops().any(|o| matches!(o, Op::Fork { .. })),
            "vfork copies nothing"
        );
        assert!(s.steps[spawn..].iter().map(|st| &st.op).any(
            |o| matches!(o, Op::Mmap(MmapArgs { pid: 2, file: Some(f), .. }) if f.ends_with("true"))
        ));
        replays_everywhere(s);
        agrees(&t, 99.0);
    }

    #[test]
    fn brk_becomes_brk_steps_on_the_heap() {
        if !full_check_may_run("brk_becomes_brk_steps_on_the_heap") {
            return;
        }
        let t = program("brk");
        let s = &t.scenario;
        let brks: Vec<(u32, u64, u64, &str)> = s
            .steps
            .iter()
            .filter_map(|st| match st.op {
                Op::Brk { pid, start, pages } => {
                    Some((pid, start, pages, st.note.as_deref().unwrap_or("")))
                }
                _ => None,
            })
            .collect();
        assert!(
            brks.iter()
                .any(|b| b.3.contains("brk(") && b.3.contains("the heap grows")),
            "{brks:?}"
        );
        // The 32 KiB shrink: a Brk of the same heap eight pages shorter than the one before.
        let shrink = brks
            .windows(2)
            .any(|w| w[0].1 == w[1].1 && w[0].2 == w[1].2 + 8 && w[1].3.contains("shrinks"));
        assert!(shrink, "{brks:?}");
        replays_everywhere(s);
        agrees(&t, 99.0);
    }

    #[test]
    fn madvise_becomes_madvise_steps_and_agrees() {
        if !full_check_may_run("madvise_becomes_madvise_steps_and_agrees") {
            return;
        }
        let t = program("madvise");
        let s = &t.scenario;
        let base = BASE as u64;
        let advised: Vec<(u64, u64, Advice)> = s
            .ops()
            .filter_map(|o| match *o {
                Op::Madvise {
                    addr,
                    pages,
                    advice,
                    ..
                } if in_base(addr) => Some((addr - base, pages, advice)),
                _ => None,
            })
            .collect();
        assert_eq!(
            advised,
            vec![
                (0x1000, 2, Advice::DontNeed),
                (0x10_0000, 3, Advice::Free),
                (0x20_0000, 1, Advice::DontNeed),
                (0x20_2000, 1, Advice::DontNeed),
            ],
            "the ENOMEM call is recorded for its two mapped parts"
        );
        replays_everywhere(s);
        // The whole check agrees on these pages: after MADV_FREE the pages are still present.
        agrees(&t, 99.0);
        let c = t.check.as_ref().expect("check");
        for p in &c.points {
            for d in &p.differences {
                let a = d.addr.unwrap_or(0);
                assert!(!in_base(a), "{}", c.text(false));
            }
        }
    }

    /// The stack grows without a system call: dash recursing 900 function calls deep goes far
    /// below the stack vma it started with.
    #[test]
    fn stack_growth_becomes_an_mmap_below_the_stack() {
        if !full_check_may_run("stack_growth_becomes_an_mmap_below_the_stack") {
            return;
        }
        let t = traced(&[
            "sh",
            "-c",
            "f() { if [ $1 -gt 0 ]; then f $(($1 - 1)); fi; }; f 900",
        ]);
        let s = &t.scenario;
        assert!(
            s.steps.iter().any(|st| matches!(
                st.op,
                Op::Mmap(MmapArgs {
                    pid: 1,
                    file: None,
                    ..
                })
            ) && st
                .note
                .as_deref()
                .is_some_and(|n| n.contains("[stack] grew down"))),
            "the stack grows"
        );
        replays_everywhere(s);
        agrees(&t, 99.0);
    }

    #[test]
    fn a_shell_pipeline_is_recorded_and_agrees() {
        if !full_check_may_run("a_shell_pipeline_is_recorded_and_agrees") {
            return;
        }
        let t = traced(&["sh", "-c", "ls /usr | wc -l"]);
        let s = &t.scenario;
        assert!(s.title.contains("ls /usr | wc -l"));
        assert!(s.about.contains("only observed at system call boundaries"));
        let forks = s.ops().filter(|o| matches!(o, Op::Fork { .. })).count();
        let execs = s.ops().filter(|o| matches!(o, Op::Exec { .. })).count();
        let exits = s.ops().filter(|o| matches!(o, Op::Exit { .. })).count();
        assert_eq!(
            (forks, execs, exits),
            (2, 3, 3),
            "sh forks ls and wc, all exec, all exit"
        );
        // Each step says which system call it came from.
        assert!(
            s.steps
                .iter()
                .all(|st| st.note.as_deref().is_some_and(|n| n.starts_with("pid ")))
        );
        assert!(s.steps.iter().any(|st| {
            st.note
                .as_deref()
                .is_some_and(|n| n.contains("mmap(NULL, "))
        }));
        replays_everywhere(s);
        agrees(&t, 99.0);
    }

    #[test]
    fn ls_is_recorded_and_agrees() {
        if !full_check_may_run("ls_is_recorded_and_agrees") {
            return;
        }
        let t = traced(&["ls", "/"]);
        replays_everywhere(&t.scenario);
        agrees(&t, 99.0);
        // The scenario reads back identically.
        let again = Scenario::parse(&t.scenario.to_ron(), "again").expect("parses");
        assert_eq!(again, t.scenario);
    }
}
