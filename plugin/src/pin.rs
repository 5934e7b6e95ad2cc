//! Keeps the plugin's library mapped once a host has loaded it.
//!
//! A host thread that calls into the plugin (the offline analysis runs models on the host's
//! process thread) can be left holding thread-exit destructors that live in this library: the
//! Rust runtime's own and those of dependencies that keep per-thread data. glibc only keeps a
//! library alive for destructors registered through `__cxa_thread_atexit_impl`; a destructor
//! registered with `pthread_key_create` points into the library whatever happens to it. A host
//! that unloads the plugin (`dlclose`) while such a thread lives, and later ends the thread,
//! jumps into unmapped memory. The test host hit exactly that: a SIGSEGV in
//! `__nptl_deallocate_tsd` at a thread's exit, after the bundle had been closed (tract had hidden
//! it until then: its per-thread scratch pins the library the glibc way).
//!
//! The cure is the one many plugins use: mark the already-loaded library `RTLD_NODELETE` on
//! first use, so a host's `dlclose` leaves it mapped. Reloading the same bundle finds the same
//! copy; the cost is the library's mapping for the rest of the host's life.

/// Marks this library as never to be unmapped (once per process; later calls do nothing).
pub fn pin_library() {
    #[cfg(unix)]
    {
        static PIN: std::sync::Once = std::sync::Once::new();
        PIN.call_once(|| {
            // SAFETY: `dladdr` fills `info` for an address inside a loaded object (this
            // function's), and `dli_fname` then points at that object's path, valid while it is
            // loaded; `dlopen` with RTLD_NOLOAD loads nothing new, it only adds RTLD_NODELETE to
            // the loaded copy. The handle is deliberately never closed.
            unsafe {
                let mut info: libc::Dl_info = std::mem::zeroed();
                let here = pin_library as *const libc::c_void;
                if libc::dladdr(here, &mut info) != 0 && !info.dli_fname.is_null() {
                    libc::dlopen(
                        info.dli_fname,
                        libc::RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_NODELETE,
                    );
                }
            }
        });
    }
}
