//! The allocator of the static Linux binary: an arena for the start, dlmalloc for small
//! blocks after it, the system's allocator for large ones.
//!
//! A check is a short process: a few hundred small allocations (the command line, a
//! document of a kilobyte, the output), then exit. musl's allocator spends a few hundred
//! instructions on each and maps and unmaps pages as it goes, which came to a third of
//! a check's work, and on a document of 150,000 modules it ran a third slower than
//! glibc's. So, in this order:
//!
//! - the first [`ARENA`] bytes are handed out from one static block by moving an offset
//!   (one atomic compare-and-swap, lock-free); a freed block is taken back when it was
//!   the last one handed out, so a growing `String` or `Vec` grows in place, and other
//!   freed blocks stay until the process ends. A check on a real document never leaves it.
//! - then blocks under [`LARGE`] come from dlmalloc (the Rust port that `std` uses on
//!   WebAssembly), which reuses freed blocks as glibc's allocator does and at about
//!   its speed;
//! - and blocks of [`LARGE`] or more from the system allocator, which maps each on its
//!   own, grows it with `mremap` and gives it back when freed: a large document's text
//!   and module list cost no more memory than their size.
//!
//! Only the musl build installs it (`main.rs`); glibc's allocator and Windows' are left
//! alone.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use dlmalloc::Dlmalloc;

/// Bytes served from the arena: a check on a real document allocates well under 100 KiB
/// in all. Zeroed static memory, so it costs nothing in the binary and in memory only
/// the pages touched.
pub const ARENA: usize = 256 * 1024;

/// Blocks this large and larger go to the system allocator (musl maps such blocks on
/// their own too).
pub const LARGE: usize = 128 * 1024;

/// The heap of the musl build.
pub type StartupHeap = Heap<ARENA>;

/// Small blocks once an arena is full, for every [`Heap`]: dlmalloc under `std`'s
/// futex lock, one atomic instruction each way when nobody else holds it.
static SMALL: Mutex<Dlmalloc> = Mutex::new(Dlmalloc::new());

fn small() -> MutexGuard<'static, Dlmalloc> {
    // dlmalloc does not panic, but should a poisoned lock ever be seen, the heap behind
    // it is still consistent.
    SMALL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `BYTES` bytes of arena, then dlmalloc and the system allocator.
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

    /// Makes the arena block at `start` of `size` bytes `new_size` bytes long, which
    /// only the last block can be (a failed swap means it was not the last).
    fn resize_last(&self, start: usize, size: usize, new_size: usize) -> bool {
        let Some(new_end) = start.checked_add(new_size).filter(|&e| e <= BYTES) else {
            return false;
        };
        self.used
            .compare_exchange(start + size, new_end, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    }
}

impl<const BYTES: usize> Default for Heap<BYTES> {
    fn default() -> Self {
        Heap::new()
    }
}

/// A block from outside the arena: dlmalloc's when small, the system's when large.
unsafe fn alloc_outside(layout: Layout) -> *mut u8 {
    if layout.size() >= LARGE {
        System.alloc(layout)
    } else {
        small().malloc(layout.size(), layout.align())
    }
}

/// Frees a block from [`alloc_outside`]: its size says whose it is.
unsafe fn dealloc_outside(ptr: *mut u8, layout: Layout) {
    if layout.size() >= LARGE {
        System.dealloc(ptr, layout)
    } else {
        small().free(ptr, layout.size(), layout.align())
    }
}

/// Moves the `layout` block at `ptr` into a new one of `new_size` bytes from `alloc`,
/// copying what both hold, then frees the old one with `free`: what `realloc` does when
/// the block cannot change size where it is.
unsafe fn moved(
    ptr: *mut u8,
    layout: Layout,
    new_size: usize,
    alloc: impl FnOnce(Layout) -> *mut u8,
    free: impl FnOnce(*mut u8, Layout),
) -> *mut u8 {
    // SAFETY: `GlobalAlloc::realloc` promises `new_size`, rounded up to `layout.align()`,
    // does not overflow `isize`.
    let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
    let new_ptr = alloc(new_layout);
    if !new_ptr.is_null() {
        std::ptr::copy_nonoverlapping(ptr, new_ptr, layout.size().min(new_size));
        free(ptr, layout);
    }
    new_ptr
}

// SAFETY: a block comes from the arena, dlmalloc or `System`; its address (in the arena
// or not) and its size (under `LARGE` or not) say which, every call goes to the one
// that handed it out, with `GlobalAlloc`'s own contract, and a block that changes hands
// in `realloc` is copied and freed by its first owner.
unsafe impl<const BYTES: usize> GlobalAlloc for Heap<BYTES> {
    // Not inlined: each allocation site would otherwise carry the whole allocator
    // (110 KB more binary).
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.bump(layout) {
            Some(block) => block,
            None => alloc_outside(layout),
        }
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match self.offset(ptr) {
            // Only the last block goes back; the others stay until the process ends.
            Some(start) => {
                self.resize_last(start, layout.size(), 0);
            }
            None => dealloc_outside(ptr, layout),
        }
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if let Some(start) = self.offset(ptr) {
            if self.resize_last(start, layout.size(), new_size) || new_size <= layout.size() {
                // The last block grows or shrinks where it is; any other may keep its
                // room when shrinking.
                return ptr;
            }
            let give_back = |_, old: Layout| {
                self.resize_last(start, old.size(), 0);
            };
            return moved(ptr, layout, new_size, |l| self.alloc(l), give_back);
        }
        match (layout.size() >= LARGE, new_size >= LARGE) {
            (true, true) => System.realloc(ptr, layout, new_size),
            (false, false) => small().realloc(ptr, layout.size(), layout.align(), new_size),
            _ => moved(
                ptr,
                layout,
                new_size,
                |l| alloc_outside(l),
                |p, l| dealloc_outside(p, l),
            ),
        }
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
    fn small_blocks_come_from_the_arena_until_it_is_full() {
        static HEAP: Heap<4096> = Heap::new();
        let first = filled(&HEAP, layout(100, 8), 1);
        assert!(HEAP.offset(first).is_some());
        let outside = filled(&HEAP, layout(5000, 8), 2);
        assert!(HEAP.offset(outside).is_none());
        let large = filled(&HEAP, layout(LARGE, 8), 3);
        assert!(holds(first, 100, 1) && holds(outside, 5000, 2) && holds(large, LARGE, 3));
        unsafe {
            HEAP.dealloc(large, layout(LARGE, 8));
            HEAP.dealloc(outside, layout(5000, 8));
            HEAP.dealloc(first, layout(100, 8));
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

    /// A block doubling from 24 bytes to 1 MiB passes through all three: the arena,
    /// dlmalloc and the system allocator, and shrinks back into dlmalloc.
    #[test]
    fn a_growing_block_keeps_its_contents_from_the_arena_to_the_system() {
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
    fn alignments_are_kept_everywhere() {
        static HEAP: Heap<8192> = Heap::new();
        for align in [1, 2, 8, 16, 64, 4096] {
            for size in [1, 3, 17, 5000, LARGE + 1] {
                let ptr = filled(&HEAP, layout(size, align), align as u8);
                assert!(holds(ptr, size, align as u8));
                let grown = unsafe { HEAP.realloc(ptr, layout(size, align), size * 2) };
                assert_eq!(grown as usize % align, 0, "{size} bytes aligned {align}");
                assert!(holds(grown, size, align as u8));
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
        for size in [20_000, LARGE * 2] {
            let dirty = filled(&HEAP, layout(size, 8), 0xCD);
            unsafe { HEAP.dealloc(dirty, layout(size, 8)) };
            let zeroed = unsafe { HEAP.alloc_zeroed(layout(size, 8)) };
            assert!(holds(zeroed, size, 0), "{size} bytes");
            unsafe { HEAP.dealloc(zeroed, layout(size, 8)) };
        }
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
