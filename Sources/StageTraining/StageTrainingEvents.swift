import StageKit
import Training

/// The training loop's events as plugin-protocol events: what every training stage plugin (domain-pretrain,
/// multitask-finetune) hands its ``TrainingLoop``.
public final class StageTrainingEvents: TrainingEvents {
    public let context: StageContext

    public init(_ context: StageContext) { self.context = context }

    public func progress(step: Int, total: Int, message: String) {
        context.progress(step, of: total, unit: "step", message: message)
    }

    public func metric(_ name: String, _ value: Double, step: Int) { context.metric(name, value, step: step) }

    public func checkpointSaved(step: Int) { context.checkpointSaved(step: step) }

    public func log(_ message: String) { context.log(message) }
}
