//! Real one-byte loads and stores that survive SIGSEGV and SIGBUS.
//!
//! Each access is one x86_64 instruction of known encoding (`mov byte ptr [rdi], al` = 88 07,
//! `mov al, byte ptr [rdi]` = 8a 07). A SIGSEGV/SIGBUS handler checks that the fault hit that
//! instruction while an access was under way, records the signal and the fault address, and
//! resumes after the instruction. Any other fault restores the default action and re-faults,
//! so real bugs still crash.

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};

static IN_ACCESS: AtomicBool = AtomicBool::new(false);
static FAULT_SIGNO: AtomicI32 = AtomicI32::new(0);
static FAULT_ADDR: AtomicU64 = AtomicU64::new(0);

const STORE: [u8; 2] = [0x88, 0x07];
const LOAD: [u8; 2] = [0x8a, 0x07];

extern "C" fn on_fault(signo: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut c_void) {
    // SAFETY: the kernel passes a valid siginfo_t and ucontext_t to an SA_SIGINFO handler; we only
    // read them, write the saved instruction pointer, and touch atomics (async-signal-safe).
    unsafe {
        let uc = &mut *(ctx as *mut libc::ucontext_t);
        let rip = uc.uc_mcontext.gregs[libc::REG_RIP as usize] as usize as *const [u8; 2];
        let ours = IN_ACCESS.load(Ordering::SeqCst) && {
            let insn = rip.read_unaligned();
            insn == STORE || insn == LOAD
        };
        if !ours {
            // Not one of our accesses: default action, and the instruction faults again.
            let dfl = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
            if let Ok(sig) = Signal::try_from(signo) {
                let _ = sigaction(sig, &dfl);
            }
            return;
        }
        FAULT_SIGNO.store(signo, Ordering::SeqCst);
        FAULT_ADDR.store((*info).si_addr() as u64, Ordering::SeqCst);
        uc.uc_mcontext.gregs[libc::REG_RIP as usize] += 2;
    }
}

/// Installs the fault handler for SIGSEGV and SIGBUS.
pub fn install_fault_handler() -> nix::Result<()> {
    let act = SigAction::new(
        SigHandler::SigAction(on_fault),
        SaFlags::SA_SIGINFO | SaFlags::SA_NODEFER,
        SigSet::empty(),
    );
    for sig in [Signal::SIGSEGV, Signal::SIGBUS] {
        // SAFETY: on_fault only touches atomics and the signal context (see above).
        unsafe { sigaction(sig, &act)? };
    }
    Ok(())
}

/// Loads (or stores) one byte at `addr`. Returns the signal and fault address if it faulted.
pub fn touch(addr: u64, write: bool) -> Option<(i32, u64)> {
    FAULT_SIGNO.store(0, Ordering::SeqCst);
    IN_ACCESS.store(true, Ordering::SeqCst);
    if write {
        // SAFETY: a store to a scenario address, which the Rust program never uses otherwise; a
        // fault is caught by on_fault, which skips this 2-byte instruction.
        unsafe {
            core::arch::asm!("mov byte ptr [rdi], al", in("rdi") addr, in("al") 0x5au8,
                options(nostack, preserves_flags));
        }
    } else {
        let _v: u8;
        // SAFETY: as above, a load.
        unsafe {
            core::arch::asm!("mov al, byte ptr [rdi]", in("rdi") addr, out("al") _v,
                options(nostack, preserves_flags, readonly));
        }
    }
    IN_ACCESS.store(false, Ordering::SeqCst);
    match FAULT_SIGNO.load(Ordering::SeqCst) {
        0 => None,
        s => Some((s, FAULT_ADDR.load(Ordering::SeqCst))),
    }
}
