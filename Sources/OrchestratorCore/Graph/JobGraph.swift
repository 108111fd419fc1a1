/// The dependency graph of jobs and services: `depends_on` edges from a node to its upstreams.
///
/// Built only from names known to exist; `cycles()` finds every cycle so validation can print
/// them, and the ordering functions are defined for acyclic graphs.
public struct JobGraph: Sendable {
    public enum Kind: Sendable, Hashable { case job, service }

    /// Every node's kind.
    public let kinds: [String: Kind]
    /// Direct upstreams, in declaration order.
    public let upstreams: [String: [String]]
    /// Direct downstreams, sorted by name.
    public let downstreams: [String: [String]]

    public init(kinds: [String: Kind], upstreams: [String: [String]]) {
        self.kinds = kinds
        var ups: [String: [String]] = [:]
        var downs: [String: [String]] = [:]
        for name in kinds.keys {
            ups[name] = (upstreams[name] ?? []).filter { kinds[$0] != nil }
            downs[name] = []
        }
        for (name, list) in ups {
            for up in list { downs[up, default: []].append(name) }
        }
        self.upstreams = ups
        self.downstreams = downs.mapValues { Array(Set($0)).sorted() }
    }

    public var names: [String] { kinds.keys.sorted() }

    /// Each elementary cycle found by depth-first search, as the path that closes it
    /// (`[a, b, c, a]`), rotated to start at its smallest name; one entry per distinct cycle.
    public func cycles() -> [[String]] {
        enum Mark { case visiting, done }
        var marks: [String: Mark] = [:]
        var stack: [String] = []
        var found: [[String]] = []
        var seen = Set<[String]>()

        func visit(_ node: String) {
            marks[node] = .visiting
            stack.append(node)
            for up in upstreams[node] ?? [] {
                switch marks[up] {
                case .visiting:
                    let start = stack.lastIndex(of: up)!
                    var cycle = Array(stack[start...])
                    let minIndex = cycle.indices.min { cycle[$0] < cycle[$1] }!
                    cycle = Array(cycle[minIndex...] + cycle[..<minIndex])
                    if seen.insert(cycle).inserted { found.append(cycle + [cycle[0]]) }
                case .done:
                    break
                case nil:
                    visit(up)
                }
            }
            stack.removeLast()
            marks[node] = .done
        }
        for name in names where marks[name] == nil { visit(name) }
        return found
    }

    /// Every node after all of its upstreams; ties broken by name so the order is stable.
    /// Nodes on a cycle are left out.
    public func topologicalOrder() -> [String] {
        var remaining = upstreams.mapValues { Set($0).count }
        var ready = remaining.filter { $0.value == 0 }.map(\.key).sorted()
        var order: [String] = []
        while !ready.isEmpty {
            let next = ready.removeFirst()
            order.append(next)
            for down in downstreams[next] ?? [] {
                remaining[down]! -= 1
                if remaining[down] == 0 {
                    let i = ready.firstIndex { $0 > down } ?? ready.endIndex
                    ready.insert(down, at: i)
                }
            }
        }
        return order
    }

    /// Every node the given one depends on, directly or not.
    public func allUpstreams(of name: String) -> Set<String> {
        closure(from: name, edges: upstreams)
    }

    /// Every node that depends on the given one, directly or not.
    public func allDownstreams(of name: String) -> Set<String> {
        closure(from: name, edges: downstreams)
    }

    private func closure(from name: String, edges: [String: [String]]) -> Set<String> {
        var seen = Set<String>()
        var work = edges[name] ?? []
        while let next = work.popLast() {
            if seen.insert(next).inserted { work.append(contentsOf: edges[next] ?? []) }
        }
        seen.remove(name)
        return seen
    }
}
