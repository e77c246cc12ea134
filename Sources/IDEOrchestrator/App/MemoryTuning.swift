#if canImport(Glibc)
import Glibc
#endif

/// Process-wide allocator settings for a small, long-running service.
public enum MemoryTuning {
    /// glibc gives threads that allocate at the same time arenas of their own (up to eight per
    /// core) and keeps the memory freed in each; two arenas bound what a burst of requests
    /// leaves resident afterwards. (`mallopt` is looked up at run time: `<malloc.h>` is not
    /// part of Swift's Glibc module.)
    public static func apply() {
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let arenaMax: Int32 = -8  // M_ARENA_MAX
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: Mallopt.self)(arenaMax, 2)
        #endif
    }
}
