// Foundation with a time zone and a date formatter (ICU's data), as a scheduler showing local times would.
import Foundation

let formatter = DateFormatter()
formatter.timeZone = TimeZone(identifier: "America/New_York")
formatter.dateFormat = "yyyy-MM-dd HH:mm"
print("ready", formatter.string(from: Date()))
fflush(stdout)
Thread.sleep(forTimeInterval: 30)
