print("benchmarks: see run.sh")
