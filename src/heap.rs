//! The allocator of the static Linux binary: a small arena in front of the system's.
//!
//! A check is a short process: a few hundred small allocations (the command line, a
//! document of a kilobyte, the output), then exit. musl's allocator spends a few hundred
//! instructions on each and maps and unmaps pages as it goes, which came to a third of
//! a check's work. Here the first [`ARENA`] bytes are handed out from one static block
//! by moving an offset; a freed block is taken back when it was the last one handed
//! out (so a growing `String` or `Vec` grows in place), other freed blocks stay until
//! the process ends. What does not fit goes to the system allocator, so a large document
//! is served exactly as musl would serve it: each large block mapped on its own, grown
//! with `mremap`, given back when freed, and no more memory than the document needs.
//!
//! Only the musl build installs it (`main.rs`); glibc's allocator and Windows' are left
//! alone. Lock-free: one atomic compare-and-swap per allocation, also when the collector's
//! threads allocate at once.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes served from the arena before the system allocator takes over: a check on a
/// real document allocates well under 100 KiB in all. Zeroed static memory, so it costs
/// nothing in the binary and only the pages touched in memory.
pub const ARENA: usize = 256 * 1024;

/// The arena of the musl build.
pub type StartupHeap = Heap<ARENA>;

/// `BYTES` bytes of arena, then [`System`].
pub struct Heap<const BYTES: usize> {
    space: Space<BYTES>,
    /// Offset of the first byte not handed out.
    used: AtomicUsize,
}

#[repr(C, align(4096))]
struct Space<const BYTES: usize>(UnsafeCell<[u8; BYTES]>);

// SAFETY: the arena's bytes are only reached through blocks handed out by `alloc`, and
// the compare-and-swap on `used` hands each byte range to one owner at a time (AcqRel:
// a range given back by one thread and taken by another is ordered between them).
unsafe impl<const BYTES: usize> Sync for Heap<BYTES> {}

impl<const BYTES: usize> Heap<BYTES> {
    pub const fn new() -> Self {
        Heap {
            space: Space(UnsafeCell::new([0; BYTES])),
            used: AtomicUsize::new(0),
        }
    }

    fn base(&self) -> *mut u8 {
        self.space.0.get().cast()
    }

    /// The arena offset of `ptr`, if the arena handed it out.
    fn offset(&self, ptr: *mut u8) -> Option<usize> {
        let offset = (ptr as usize).wrapping_sub(self.base() as usize);
        (offset < BYTES).then_some(offset)
    }

    /// A block of the arena, or `None` when it has no room left for `layout`.
    fn bump(&self, layout: Layout) -> Option<*mut u8> {
        let base = self.base() as usize;
        let mut used = self.used.load(Ordering::Acquire);
        loop {
            // `align` is a power of two: round the next free address up to it.
            let start = (base + used).checked_add(layout.align() - 1)? & !(layout.align() - 1);
            let start = start - base;
            let end = start.checked_add(layout.size()).filter(|&e| e <= BYTES)?;
            match self
                .used
                .compare_exchange_weak(used, end, Ordering::AcqRel, Ordering::Acquire)
            {
                // SAFETY: `start + size <= BYTES`: inside the arena.
                Ok(_) => return Some(unsafe { self.base().add(start) }),
                Err(now) => used = now,
            }
        }
    }
}

impl<const BYTES: usize> Default for Heap<BYTES> {
    fn default() -> Self {
        Heap::new()
    }
}

// SAFETY: a block comes from the arena (bump) or from `System`; its address says which,
// and each call goes to the one that handed it out, with `GlobalAlloc`'s own contract.
unsafe impl<const BYTES: usize> GlobalAlloc for Heap<BYTES> {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.bump(layout) {
            Some(block) => block,
            None => System.alloc(layout),
        }
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(start) = self.offset(ptr) else {
            return System.dealloc(ptr, layout);
        };
        // Only the last block goes back; a failed swap means it was not the last.
        let end = start + layout.size();
        let _ = self
            .used
            .compare_exchange(end, start, Ordering::AcqRel, Ordering::Relaxed);
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Some(start) = self.offset(ptr) else {
            return System.realloc(ptr, layout, new_size);
        };
        if let Some(new_end) = start.checked_add(new_size).filter(|&e| e <= BYTES) {
            let end = start + layout.size();
            // The last block grows or shrinks where it is.
            if self
                .used
                .compare_exchange(end, new_end, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                return ptr;
            }
        }
        if new_size <= layout.size() {
            // Any other block may keep its room.
            return ptr;
        }
        // SAFETY: `GlobalAlloc::realloc` promises `new_size`, rounded up to
        // `layout.align()`, does not overflow `isize`.
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        let moved = self.alloc(new_layout);
        if !moved.is_null() {
            std::ptr::copy_nonoverlapping(ptr, moved, layout.size());
            self.dealloc(ptr, layout);
        }
        moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).expect("a valid layout")
    }

    fn filled(heap: &impl GlobalAlloc, layout: Layout, byte: u8) -> *mut u8 {
        let ptr = unsafe { heap.alloc(layout) };
        assert!(!ptr.is_null(), "{layout:?}");
        assert_eq!(ptr as usize % layout.align(), 0, "{layout:?}");
        unsafe { ptr.write_bytes(byte, layout.size()) };
        ptr
    }

    fn holds(ptr: *const u8, size: usize, byte: u8) -> bool {
        unsafe { std::slice::from_raw_parts(ptr, size) }
            .iter()
            .all(|b| *b == byte)
    }

    #[test]
    fn small_blocks_come_from_the_arena_and_large_ones_from_the_system() {
        static HEAP: Heap<4096> = Heap::new();
        let small = filled(&HEAP, layout(100, 8), 1);
        assert!(HEAP.offset(small).is_some());
        let large = filled(&HEAP, layout(10_000, 8), 2);
        assert!(HEAP.offset(large).is_none());
        assert!(holds(small, 100, 1) && holds(large, 10_000, 2));
        unsafe {
            HEAP.dealloc(large, layout(10_000, 8));
            HEAP.dealloc(small, layout(100, 8));
        }
    }

    #[test]
    fn the_last_block_is_taken_back_and_grows_in_place() {
        static HEAP: Heap<4096> = Heap::new();
        let first = filled(&HEAP, layout(64, 8), 1);
        let last = filled(&HEAP, layout(64, 8), 2);
        let grown = unsafe { HEAP.realloc(last, layout(64, 8), 1000) };
        assert_eq!(grown, last, "the last block grows where it is");
        assert!(holds(grown, 64, 2));
        unsafe { HEAP.dealloc(grown, layout(1000, 8)) };
        let again = filled(&HEAP, layout(32, 8), 3);
        assert_eq!(again, last, "the last block's room is handed out again");
        assert!(holds(first, 64, 1));
    }

    #[test]
    fn a_block_that_outgrows_the_arena_moves_to_the_system_with_its_contents() {
        static HEAP: Heap<4096> = Heap::new();
        let mut size = 24;
        let mut ptr = filled(&HEAP, layout(size, 8), 7);
        let _pinned = filled(&HEAP, layout(8, 8), 9);
        while size < 1 << 20 {
            let new_size = size * 2;
            ptr = unsafe { HEAP.realloc(ptr, layout(size, 8), new_size) };
            assert!(!ptr.is_null());
            assert!(holds(ptr, size, 7), "contents lost growing to {new_size}");
            unsafe { ptr.add(size).write_bytes(7, new_size - size) };
            size = new_size;
        }
        assert!(
            HEAP.offset(ptr).is_none(),
            "1 MiB cannot be in a 4 KiB arena"
        );
        let shrunk = unsafe { HEAP.realloc(ptr, layout(size, 8), 10) };
        assert!(holds(shrunk, 10, 7));
        unsafe { HEAP.dealloc(shrunk, layout(10, 8)) };
    }

    #[test]
    fn alignments_are_kept_in_the_arena_and_outside() {
        static HEAP: Heap<8192> = Heap::new();
        for align in [1, 2, 8, 16, 64, 4096] {
            for size in [1, 3, 17, 5000] {
                let ptr = filled(&HEAP, layout(size, align), align as u8);
                assert!(holds(ptr, size, align as u8));
            }
        }
    }

    #[test]
    fn zeroed_blocks_are_zero_where_freed_room_is_reused() {
        static HEAP: Heap<4096> = Heap::new();
        let dirty = filled(&HEAP, layout(512, 8), 0xAB);
        unsafe { HEAP.dealloc(dirty, layout(512, 8)) };
        let zeroed = unsafe { HEAP.alloc_zeroed(layout(512, 8)) };
        assert_eq!(zeroed, dirty);
        assert!(holds(zeroed, 512, 0));
    }

    /// The collector reads PowerShell's output on threads of its own: blocks handed to
    /// two threads at once never overlap, in the arena or after it is full.
    #[test]
    fn threads_never_share_a_block() {
        static HEAP: Heap<65536> = Heap::new();
        let work = |seed: u8| {
            move || {
                let mut kept = Vec::new();
                for round in 0..3_000usize {
                    let layout = layout(8 + round % 200, 8);
                    let ptr = filled(&HEAP, layout, seed);
                    if round % 3 == 0 {
                        kept.push((ptr as usize, layout));
                    } else {
                        assert!(holds(ptr, layout.size(), seed));
                        unsafe { HEAP.dealloc(ptr, layout) };
                    }
                }
                for (ptr, layout) in kept {
                    assert!(holds(ptr as *const u8, layout.size(), seed));
                    unsafe { HEAP.dealloc(ptr as *mut u8, layout) };
                }
            }
        };
        let a = std::thread::spawn(work(1));
        let b = std::thread::spawn(work(2));
        a.join().expect("thread a");
        b.join().expect("thread b");
    }
}
