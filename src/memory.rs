//! Giving freed memory back to the system.
//!
//! An allocator keeps what was freed for the next allocations: after the search index is built
//! (hundreds of megabytes of buffers, all freed), or after a burst of large answers, the
//! process would keep that memory for a while or for good. Asking the allocators to hand back
//! what they hold unused brings the server's resident memory down to what it uses.

/// Hands freed heap memory back to the system: jemalloc's (the process's allocator) and the C
/// library's (what C code such as SQLite allocates).
pub fn give_back() {
    #[cfg(not(target_env = "msvc"))]
    #[allow(unsafe_code)]
    {
        // `arena.<all>.purge`, all being MALLCTL_ARENAS_ALL.
        let name = c"arena.4096.purge";
        // SAFETY: a NUL-terminated name of a control that reads and writes nothing (null
        // pointers and length 0); jemalloc allows it from any thread at any time.
        unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                0,
            );
        }
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim takes no pointers and may be called from any thread at any
        // time; it only returns free pages of the allocator's own arenas.
        unsafe {
            malloc_trim(0);
        }
    }
}
