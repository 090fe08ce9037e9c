import Benchmark
import NIOCore
import NIOEmbedded
import TidingsCore
import TidingsServer

/// Fan-out, matching and encoding: the per-event work of the gateway, with malloc counts.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        maxDuration: .seconds(3)
    )

    let data = ByteBuffer(
        string:
            #"{"at": "2026-11-26T19:00:00.123456Z", "id": 1, "new": {"id": 42, "t": 1764183600000000}, "op": "insert", "table": "public.orders", "topics": ["orders/42"]}"#
    )
    let topics = [try! Topic(validating: "orders/42"), try! Topic(validating: "customers/7/orders")]

    Benchmark("Hub fan-out: 1 event to 10,000 subscribers", configuration: .init(scalingFactor: .one)) { benchmark in
        // The hub hands each loop one task per delivery; run here, on the benchmark's thread, after
        // each event, so an iteration is the event's queueing and every stream's taking of it.
        let loop = EmbeddedEventLoop()
        let hub = Hub()
        hub.start(after: 0)
        let grant = Grant(granted: [try! Selector(parsing: "orders/**")], requested: [try! Selector(parsing: "orders/**")])
        let sinks = (0..<10_000).map { _ in
            let sink = CountingSink(eventLoop: loop)
            sink.attach(hub.subscribe(grant: grant, capacity: 1024, expiresAt: nil, sink: sink).subscriber)
            return sink
        }
        var id: Int64 = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            id += 1
            hub.receive([Change(id: id, topics: topics, event: "orders.insert", data: data, committedAt: 0)])
            loop.run()
        }
        benchmark.stopMeasurement()
        precondition(sinks.allSatisfy { $0.framesTaken == Int(id) }, "a subscriber missed an event")
    }

    Benchmark("Selector matching: orders/*/items against 1,000 topics", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let selector = try! Selector(parsing: "customers/*/orders")
        let candidates = (0..<1000).map { try! Topic(validating: "customers/\($0)/orders") }
        var matched = 0
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            if selector.matches(candidates[index % candidates.count]) { matched += 1 }
        }
        blackHole(matched)
    }

    Benchmark("SSE frame encoding of one event", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let change = Change(id: 1042, topics: topics, event: "orders.update", data: data, committedAt: 0)
        let allocator = ByteBufferAllocator()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(SSEFrame.event(for: change, allocator: allocator))
        }
    }
}
