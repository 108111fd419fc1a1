import Foundation

/// The scheduler's decisions: a pure function of what is stored and the time (ARCHITECTURE.md).
/// It never sleeps, reads a clock or touches a file; the engine applies what it returns.
public enum Scheduler {
    /// Whether a job may run now, as far as its upstreams go.
    enum Readiness: Equatable {
        case ready
        case waiting(String)
        case upstreamFailed(String)
    }

    /// The actions due at `now` (epoch seconds).
    public static func decide(_ s: SchedulerState, now: Double) -> [Action] {
        var actions: [Action] = []
        let ws = s.workspace
        let day = s.tradingDay
        // One pass over the runs for what every decision needs; the rest is built only when a
        // step asks for it (a DAG's decision may see a hundred queued runs and no slot).
        // Looked up in both sets, not merged: a merge rehashes every job that succeeded today on
        // every decision (a thousand in a DAG).
        var succeededListed = Set<String>()
        var running: [String] = []
        var pending: [SchedulerState.Run] = [], failed: [SchedulerState.Run] = []
        for r in s.runs {
            switch r.state {
            case .succeeded where r.tradingDay == day: succeededListed.insert(r.job)
            // Services' runs (one per activation) take no batch slot.
            case .running where ws.jobs.index(forKey: r.job) != nil: running.append(r.job)
            case .pending: pending.append(r)
            case .failed: failed.append(r)
            default: break
            }
        }
        var todayIndex: [String: [SchedulerState.Run]]?
        func todayRuns(_ job: String) -> [SchedulerState.Run] {
            if todayIndex == nil { todayIndex = Dictionary(grouping: s.runs.filter { $0.tradingDay == day }, by: \.job) }
            return todayIndex![job] ?? []
        }
        func succeeded(_ job: String) -> Bool { s.finished.succeeded.contains(job) || succeededListed.contains(job) }
        /// Failed and with nothing left that could still succeed today.
        func failedForGood(_ job: String) -> Bool {
            let runs = todayRuns(job)
            guard !runs.isEmpty || s.finished.ran.contains(job), runs.allSatisfy(\.state.isFinal), !succeeded(job) else { return false }
            let slotsLeft = s.slots.contains { $0.job == job && Double($0.time) > now }
            return !slotsLeft
        }
        func readiness(_ name: String) -> Readiness {
            for u in ws.upstreamJobs[name] ?? [] where !succeeded(u) {
                return failedForGood(u) ? .upstreamFailed("upstream \(u) failed") : .waiting("waiting for \(u)")
            }
            for u in ws.upstreamServices[name] ?? [] where !s.servicesUp.contains(u) {
                return .waiting("waiting for service \(u)")
            }
            return .ready
        }
        func state(for r: Readiness) -> (RunState, String?) {
            switch r {
            case .ready: return (.queued, nil)
            case .waiting(let why): return (.pending, why)
            case .upstreamFailed(let why): return (.upstreamFailed, why)
            }
        }

        // Capacity: what runs now, and what this round starts.
        var runningJobs = Set(running)
        func canStart(_ name: String) -> Bool {
            guard running.count < ws.config.maxParallel, let job = ws.jobs[name], !runningJobs.contains(name) else { return false }
            // A job that must run where its label is: another node starts it.
            if let label = job.node, let labels = s.nodeLabels, !labels.contains(label) { return false }
            if let pool = job.pool, let size = ws.config.pools[pool], running.filter({ ws.jobs[$0]?.pool == pool }).count >= size {
                return false
            }
            return true
        }
        func starting(_ name: String) {
            running.append(name)
            runningJobs.insert(name)
        }

        // 1. Due slots without a run (slots are in time order: only the due prefix is read).
        var firstSlot = s.notBefore.map { nb in s.slots.partitioningIndex { $0.time >= nb } } ?? 0
        if let through = s.claimedThrough { firstSlot = max(firstSlot, s.slots.partitioningIndex { $0.time > through }) }
        let dueEnd = s.slots.partitioningIndex { Double($0.time) > now }
        let due = s.slots[min(firstSlot, dueEnd)..<dueEnd]
        let claimed = due.isEmpty ? [] : Set(s.runs.compactMap { r in r.scheduledFor.map { SchedulerState.Slot(job: r.job, time: $0) } })
        var activeJobs = due.isEmpty ? [] : Set(s.runs.filter { !$0.state.isFinal }.map(\.job))
        for slot in due where !claimed.contains(slot) && !s.finished.claimed.contains(slot) {
            guard let job = ws.jobs[slot.job] else { continue }
            if let deadline = job.deadline, now > Double(slot.time) + deadline.seconds {
                actions.append(
                    .claimSlot(
                        job: slot.job, scheduledFor: slot.time, state: .missed,
                        reason: "not started within its deadline of \(deadline)"))
                continue
            }
            if activeJobs.contains(slot.job) {
                switch job.overlap {
                case .skip:
                    actions.append(.claimSlot(job: slot.job, scheduledFor: slot.time, state: .skipped, reason: "previous run still active"))
                    continue
                case .queue:
                    break
                case .replace:
                    for old in s.runs where old.job == slot.job && !old.state.isFinal {
                        if old.state == .running {
                            actions.append(.kill(runId: old.id, reason: "replaced by the slot at \(TimeFormat.utc(slot.time))"))
                        } else {
                            actions.append(.transition(runId: old.id, to: .cancelled, reason: "replaced by the slot at \(TimeFormat.utc(slot.time))"))
                        }
                    }
                }
            }
            let (newState, reason) = state(for: readiness(slot.job))
            let startNow = newState == .queued && canStart(slot.job)
            if startNow { starting(slot.job) }
            actions.append(.claimSlot(job: slot.job, scheduledFor: slot.time, state: newState, reason: reason, startNow: startNow))
            if !newState.isFinal { activeJobs.insert(slot.job) }
        }

        // 2. Pending runs: their deadline, their upstreams.
        for run in pending {
            if let deadline = ws.jobs[run.job]?.deadline, let slot = run.scheduledFor, now > Double(slot) + deadline.seconds {
                actions.append(.transition(runId: run.id, to: .missed, reason: "not started within its deadline of \(deadline)"))
                continue
            }
            switch readiness(run.job) {
            case .ready: actions.append(.transition(runId: run.id, to: .queued, reason: "upstreams succeeded"))
            case .upstreamFailed(let why): actions.append(.transition(runId: run.id, to: .upstreamFailed, reason: why))
            case .waiting: break
            }
        }

        // 3. Downstream propagation: an unscheduled job runs once its upstream jobs all succeeded.
        // Only those downstream of a success can be ready: the summary's ready ones, and those
        // downstream of a success still listed (in name order, as `unscheduledJobs`).
        var candidates = s.finished.readyDownstream
        for job in succeededListed { candidates.formUnion(ws.downstreamUnscheduled[job] ?? []) }
        // Once a day, and not when the job already ran or runs that day (a manual trigger). Most
        // candidates of a large graph already have their run (queued behind the capacity): the
        // cheapest test first, and only the few that remain are sorted.
        let uncausedListed = candidates.isEmpty ? [] : Set(s.runs.lazy.filter { $0.tradingDay == day && $0.causeRunId == nil }.map(\.job))
        var propagated: [String] = []
        for name in candidates where !uncausedListed.contains(name) && !s.finished.ranUncaused.contains(name) {
            guard let upstreams = ws.upstreamJobs[name], !upstreams.isEmpty, upstreams.allSatisfy(succeeded) else { continue }
            propagated.append(name)
        }
        for name in propagated.sorted() {
            actions.append(.createRun(job: name, trigger: .upstream, causeRunId: nil, startNow: false))
        }

        // 4. on_failure: each failed run triggers its handlers once.
        let handledListed = failed.isEmpty ? [] : Set(s.runs.compactMap { r in r.causeRunId.map { FinishedRuns.handlerKey(r.job, cause: $0) } })
        func handled(_ key: String) -> Bool { handledListed.contains(key) || s.finished.handled.contains(key) }
        for run in failed {
            for handler in ws.jobs[run.job]?.onFailure ?? ws.services[run.job]?.onFailure ?? []
            where !handled(FinishedRuns.handlerKey(handler, cause: run.id)) {
                actions.append(.createRun(job: handler, trigger: .upstream, causeRunId: run.id, startNow: false))
            }
        }

        // 5. Start what may start: max_parallel, pools, one process per job at a time.
        let becameQueued = Set(
            actions.compactMap { a -> Int64? in
                if case .transition(let id, .queued, _) = a { return id } else { return nil }
            })
        let startable = s.runs.filter { r in
            r.state == .queued || becameQueued.contains(r.id) || (r.state == .retrying && (r.nextAttemptAt ?? 0) <= now)
        }.sorted { ($0.scheduledFor ?? Int64.max, $0.id) < ($1.scheduledFor ?? Int64.max, $1.id) }
        for run in startable {
            guard running.count < ws.config.maxParallel else { break }
            guard canStart(run.job) else { continue }
            actions.append(.start(runId: run.id))
            starting(run.job)
        }
        // Then the runs this round creates, in order, with the capacity left: started in the
        // same round (one decision less between an upstream's end and its downstream's start).
        for i in actions.indices {
            guard running.count < ws.config.maxParallel else { break }
            if case .createRun(let job, let trigger, let cause, false) = actions[i], canStart(job) {
                actions[i] = .createRun(job: job, trigger: trigger, causeRunId: cause, startNow: true)
                starting(job)
            }
        }
        return actions
    }

    /// Whether deciding again, at the same instant, on the state these actions leave could find
    /// more to do. Only a run ending without succeeding (a claim or a transition into a final
    /// state: missed, skipped, upstream_failed, cancelled) can: it may leave a pending
    /// downstream failed for good. Everything else a decision does is already accounted for
    /// inside it (capacity taken by its starts, runs it creates, slots it claims, pending runs it
    /// queues and starts). So a caller that applied all of `actions` need not decide again
    /// before the time moves or something else changes (property-tested against `decide`).
    public static func mayDecideMore(after actions: [Action]) -> Bool {
        actions.contains { action in
            switch action {
            case .claimSlot(_, _, let state, _, _), .transition(_, let state, _): return state.isFinal
            case .createRun, .start, .kill: return false
            }
        }
    }

    /// What becomes of a run after an attempt ends: succeeded, retrying later, or failed.
    public static func afterAttempt(
        number: Int, outcome: AttemptOutcome, exitCode: Int?, signal: Int?,
        job: JobSpec, runId: Int64, now: Double
    ) -> (state: RunState, nextAttemptAt: Double?, reason: String) {
        if outcome == .succeeded { return (.succeeded, nil, "exit 0") }
        // Stopped on purpose (overlap: replace, a shutdown): not a failure, no retry, no on_failure.
        if outcome == .killed { return (.cancelled, nil, "stopped on purpose") }
        let why: String
        switch outcome {
        case .timedOut: why = "timed out after \(job.timeout?.description ?? "?")"
        case .lost: why = "its process was lost while the orchestrator was down"
        default: why = signal.map { "killed by signal \($0)" } ?? "exit \(exitCode ?? -1)"
        }
        let policy = RetryPolicy(job)
        if policy.retries(after: number) {
            let delay = policy.delay(after: number, seed: UInt64(bitPattern: runId) &* 31 &+ UInt64(number))
            return (.retrying, now + delay, "\(why); attempt \(number + 1) in \(String(format: "%.1f", delay))s")
        }
        return (.failed, nil, why)
    }

    /// At the end of a day: runs still waiting will never start.
    public static func closeDay(_ s: SchedulerState) -> [Action] {
        s.runs.filter { $0.tradingDay == s.tradingDay && $0.state == .pending }
            .map { .transition(runId: $0.id, to: .upstreamFailed, reason: "its upstreams did not succeed this trading day") }
    }
}

extension RandomAccessCollection {
    /// The first index whose element satisfies a predicate that is false then true along the
    /// collection (binary search).
    public func partitioningIndex(where belongs: (Element) -> Bool) -> Index {
        var low = startIndex
        var count = self.count
        while count > 0 {
            let half = count / 2
            let mid = index(low, offsetBy: half)
            if belongs(self[mid]) {
                count = half
            } else {
                low = index(after: mid)
                count -= half + 1
            }
        }
        return low
    }
}
