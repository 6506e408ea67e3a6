/// What a training run has done so far, beyond weights and optimizer moments: the step, the training curve, the
/// evaluations, early-stopping bookkeeping and stage-specific numbers (e.g. a "before" perplexity). It is saved
/// in every checkpoint, so a resumed run reports the same curve as an uninterrupted one.
public struct TrainingState: Codable, Hashable, Sendable {
    /// One point of the training curve.
    public struct CurvePoint: Codable, Hashable, Sendable {
        public var step: Int
        public var loss: Double
        public var lr: Double
        public var tokens: Int

        public init(step: Int, loss: Double, lr: Double, tokens: Int) {
            self.step = step
            self.loss = loss
            self.lr = lr
            self.tokens = tokens
        }
    }

    /// The metrics of one evaluation.
    public struct Evaluation: Codable, Hashable, Sendable {
        public var step: Int
        public var metrics: [String: Double]

        public init(step: Int, metrics: [String: Double]) {
            self.step = step
            self.metrics = metrics
        }
    }

    /// Completed optimizer steps.
    public var step = 0
    /// Tokens trained on (the loss's targets' sequences, padding excluded).
    public var tokens = 0
    /// Seconds spent in training steps, summed over the attempts (resumes) of the run.
    public var seconds: Double = 0
    public var curve: [CurvePoint] = []
    /// Wall seconds of each step (forward, backward, update; not evaluations or checkpoints), kept apart from the
    /// curve so that the curve of a resumed run equals an uninterrupted one's.
    public var stepSeconds: [Double] = []
    public var evaluations: [Evaluation] = []
    /// The best value of the early-stopping metric so far, and how many evaluations since it improved.
    public var best: Double?
    public var evaluationsSinceBest = 0
    /// Set when early stopping ended the run.
    public var stoppedEarly = false
    /// Stage-specific numbers.
    public var values: [String: Double] = [:]

    public init() {}
}
