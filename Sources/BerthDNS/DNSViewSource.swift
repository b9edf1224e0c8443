import BerthDNSWire

/// Where a sandbox's resolver gets the view it answers from.
///
/// `cached()` is called on the event loop for every UDP query, so it must be quick and must never
/// block or wait; `build()` may take its time (the engine reads its store), and only queries that
/// found no cached view wait for it.
public protocol DNSViewSource: Sendable {
    /// The current view if one is at hand without waiting; nil when it has to be built.
    func cached() -> DNSView?
    /// Builds the current view (and keeps it, so `cached()` returns it until the next change).
    func build() async -> DNSView
}

extension DNSViewSource {
    /// The cached view, else a freshly built one.
    func current() async -> DNSView {
        if let view = cached() { return view }
        return await build()
    }
}

/// A view that never changes (tests, tools).
public struct FixedDNSView: DNSViewSource {
    public let view: DNSView

    public init(_ view: DNSView) { self.view = view }

    public func cached() -> DNSView? { view }
    public func build() async -> DNSView { view }
}
