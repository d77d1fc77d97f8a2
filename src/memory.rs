//! Giving freed memory back to the system.
//!
//! The C allocator keeps what a thread freed for the next allocation of that thread's arena:
//! after the search index is built (hundreds of megabytes of buffers, all freed), or after a
//! burst of large answers, the process would keep that memory for good. Asking it to hand
//! back what it holds unused brings the server's resident memory down to what it uses.

/// Hands freed heap memory back to the system (glibc's `malloc_trim`; elsewhere nothing).
pub fn give_back() {
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
