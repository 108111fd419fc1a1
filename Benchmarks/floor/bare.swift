// The Swift runtime alone: what any Swift daemon on Linux starts from.
#if canImport(Glibc)
    import Glibc
#endif
print("ready")
fflush(stdout)
sleep(30)
