import Testing
import TestSupport
import MQTTClient


/// Always the same word: UInt64.max gives the top of every range, 0 the bottom.
struct ConstantGenerator: RandomNumberGenerator {
    let value: UInt64
    mutating func next() -> UInt64 { value }
}

@Suite struct BackoffTests {
    @Test func noJitterGrowsAndCaps() {
        var backoff = Backoff(jitter: .none)
        var rng = SplitMix(seed: 1)
        let delays = (0..<10).map { _ in backoff.nextDelay(using: &rng) }
        #expect(delays == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60])
        #expect(backoff.attempt == 10)
    }

    @Test func fullJitterTopAndBottom() {
        var top = Backoff(jitter: .full)
        var max = ConstantGenerator(value: .max)
        let highs = (0..<8).map { _ in top.nextDelay(using: &max) }
        #expect(highs == [1, 2, 4, 8, 16, 32, 60, 60])

        var bottom = Backoff(jitter: .full)
        var zero = ConstantGenerator(value: 0)
        let lows = (0..<8).map { _ in bottom.nextDelay(using: &zero) }
        #expect(lows.allSatisfy { $0 == 0 })
    }

    @Test func fullJitterStaysWithinCeilingAndSpreads() {
        var backoff = Backoff(initial: 1, maximum: 60, jitter: .full)
        var rng = SplitMix(seed: 42)
        var sawBelowHalf = false, sawAboveHalf = false
        for round in 0..<2000 {
            if round % 12 == 0 { backoff.reset() }
            let ceiling = backoff.currentCeiling
            let d = backoff.nextDelay(using: &rng)
            #expect(d >= 0 && d <= ceiling && ceiling <= 60)
            if d < ceiling / 2 { sawBelowHalf = true } else { sawAboveHalf = true }
        }
        #expect(sawBelowHalf && sawAboveHalf)
    }

    @Test func decorrelatedJitterBounds() {
        var backoff = Backoff(initial: 1, maximum: 60, jitter: .decorrelated)
        var rng = SplitMix(seed: 7)
        var previous = 1.0
        var maxSeen = 0.0
        for _ in 0..<500 {
            let d = backoff.nextDelay(using: &rng)
            #expect(d >= 1 && d <= 60)
            #expect(d <= max(1, previous * 3) + 1e-9)
            previous = d
            maxSeen = max(maxSeen, d)
        }
        #expect(maxSeen > 30)   // it does grow towards the cap

        var top = Backoff(jitter: .decorrelated)
        var maxRng = ConstantGenerator(value: .max)
        let highs = (0..<6).map { _ in top.nextDelay(using: &maxRng) }
        #expect(highs == [3, 9, 27, 60, 60, 60])
    }

    @Test func resetStartsOver() {
        var backoff = Backoff(jitter: .none)
        var rng = SplitMix(seed: 3)
        for _ in 0..<7 { _ = backoff.nextDelay(using: &rng) }
        #expect(backoff.currentCeiling == 60)
        backoff.reset()
        #expect(backoff.attempt == 0)
        #expect(backoff.nextDelay(using: &rng) == 1)
        #expect(backoff.nextDelay(using: &rng) == 2)
    }

    @Test func hugeAttemptCountsDoNotOverflow() {
        var backoff = Backoff(initial: 0.5, maximum: 60, multiplier: 10, jitter: .full)
        var rng = ConstantGenerator(value: .max)
        for _ in 0..<10_000 { _ = backoff.nextDelay(using: &rng) }
        #expect(backoff.currentCeiling == 60)
        #expect(backoff.nextDelayMilliseconds(using: &rng) == 60_000)
    }
}
