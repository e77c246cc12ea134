import Synchronization

/// The line of start requests waiting for a container, served first come, first served.
///
/// A request that finds no ready container takes a ticket. While anyone is in line, only the
/// first in line may claim; each container that becomes ready (`notify`) gives the first in
/// line its turn, and whoever leaves the front (served, failed or out of time) hands the turn
/// to the next at once, in case more containers are ready. So one waiter wakes per ready
/// container, and a newcomer never takes a container ahead of those already waiting.
public final class ReadySignal: Sendable {
    /// A place in the line; its number orders it.
    public struct Ticket: Sendable, Hashable, Comparable {
        let number: Int

        public static func < (lhs: Ticket, rhs: Ticket) -> Bool { lhs.number < rhs.number }
    }

    private struct Waiter {
        var ticket: Ticket
        /// Its turn came while it was not waiting: its next `wait` returns at once.
        var turn = false
        var continuation: CheckedContinuation<Void, Never>?
    }

    private struct State {
        var nextNumber = 0
        /// Sorted by ticket.
        var line: [Waiter] = []
    }

    private let state = Mutex(State())

    /// Creates an empty line.
    public init() {}

    /// How many requests are in line.
    public var waiting: Int { state.withLock { $0.line.count } }

    /// Takes a ticket at the back of the line.
    public func enter() -> Ticket {
        state.withLock { state in
            defer { state.nextNumber += 1 }
            let ticket = Ticket(number: state.nextNumber)
            state.line.append(Waiter(ticket: ticket))
            return ticket
        }
    }

    /// Puts `ticket` back in its place (a request whose claimed container refused it keeps
    /// its place, ahead of those who came later).
    public func rejoin(_ ticket: Ticket) {
        state.withLock { state in
            guard !state.line.contains(where: { $0.ticket == ticket }) else { return }
            let index = state.line.firstIndex { $0.ticket > ticket } ?? state.line.endIndex
            state.line.insert(Waiter(ticket: ticket, turn: index == 0), at: index)
        }
    }

    /// Whether a request may try to claim now: one without a ticket when nobody is in line,
    /// one with a ticket when it is first.
    public func mayClaim(_ ticket: Ticket?) -> Bool {
        state.withLock { state in
            guard let ticket else { return state.line.isEmpty }
            return state.line.first?.ticket == ticket
        }
    }

    /// Leaves the line (served, failed or out of time); the next one gets its turn. Leaving
    /// twice is harmless.
    public func leave(_ ticket: Ticket) {
        let resumes = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard let index = state.line.firstIndex(where: { $0.ticket == ticket }) else { return [] }
            let left = state.line.remove(at: index).continuation
            let next = index == 0 ? Self.giveTurn(&state) : nil
            return [left, next].compactMap { $0 }
        }
        for continuation in resumes { continuation.resume() }
    }

    /// A container became ready: the first in line gets its turn.
    public func notify() {
        let resume = state.withLock { Self.giveTurn(&$0) }
        resume?.resume()
    }

    /// Wakes everyone in line, so each sees what happened (a cold start failed); only the
    /// first may claim.
    public func notifyAll() {
        let resumes = state.withLock { state in
            state.line.indices.compactMap { index in
                defer { state.line[index].continuation = nil }
                return state.line[index].continuation
            }
        }
        for continuation in resumes { continuation.resume() }
    }

    /// Returns when it is `ticket`'s turn, after `timeout`, at `notifyAll`, or on
    /// cancellation, whichever comes first.
    public func wait(_ ticket: Ticket, upTo timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.turn(of: ticket) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Marks the turn of the first in line; returns its continuation to resume if it waits.
    private static func giveTurn(_ state: inout State) -> CheckedContinuation<Void, Never>? {
        guard !state.line.isEmpty else { return nil }
        guard let continuation = state.line[0].continuation else {
            state.line[0].turn = true
            return nil
        }
        state.line[0].continuation = nil
        return continuation
    }

    private func turn(of ticket: Ticket) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let waits = state.withLock { state in
                    guard !Task.isCancelled, let index = state.line.firstIndex(where: { $0.ticket == ticket }) else { return false }
                    if state.line[index].turn {
                        state.line[index].turn = false
                        return false
                    }
                    state.line[index].continuation = continuation
                    return true
                }
                if !waits { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let index = state.line.firstIndex(where: { $0.ticket == ticket }) else { return nil }
                defer { state.line[index].continuation = nil }
                return state.line[index].continuation
            }
            waiter?.resume()
        }
    }
}
