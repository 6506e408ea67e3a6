import Testing

@testable import Training

/// Schedule factors at known steps, against the formulas of HF's schedules (warm-up 10, total 110).
@Suite struct LearningRateScheduleTests {
    @Test func valuesAtKnownSteps() {
        let linear = LearningRateSchedule(kind: .linear, warmupSteps: 10, totalSteps: 110)
        #expect(linear.factor(at: 0) == 0)
        #expect(linear.factor(at: 5) == 0.5)
        #expect(linear.factor(at: 10) == 1)
        #expect(linear.factor(at: 60) == 0.5)
        #expect(linear.factor(at: 110) == 0)
        #expect(linear.factor(at: 200) == 0)
        let cosine = LearningRateSchedule(kind: .cosine, warmupSteps: 10, totalSteps: 110)
        #expect(cosine.factor(at: 10) == 1)
        #expect(abs(cosine.factor(at: 35) - 0.853_553_4) < 1e-6)  // 0.5·(1 + cos(π/4))
        #expect(abs(cosine.factor(at: 60) - 0.5) < 1e-6)
        #expect(cosine.factor(at: 110) == 0)
        let constant = LearningRateSchedule(kind: .constant, warmupSteps: 4, totalSteps: 10)
        #expect(constant.factor(at: 1) == 0.25 && constant.factor(at: 4) == 1 && constant.factor(at: 9) == 1)
        #expect(LearningRateSchedule(kind: .linear, totalSteps: 4).factor(at: 0) == 1)
        let late = LearningRateSchedule(kind: .linear, warmupSteps: 10, totalSteps: 110, startStep: 20)
        #expect(late.factor(at: 3) == 1 && late.factor(at: 25) == 0.5 && late.factor(at: 80) == 0.5)
    }
}
