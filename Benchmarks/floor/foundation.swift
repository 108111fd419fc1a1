// The runtime with Foundation loaded (GRDB and Yams import it), reading the clock.
import Foundation

print("ready", Date().timeIntervalSince1970)
fflush(stdout)
Thread.sleep(forTimeInterval: 30)
