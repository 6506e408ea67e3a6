import StageKit
import Training

/// The training loop's events as plugin-protocol events.
final class StageTrainingEvents: TrainingEvents {
    let context: StageContext

    init(_ context: StageContext) { self.context = context }

    func progress(step: Int, total: Int, message: String) {
        context.progress(step, of: total, unit: "step", message: message)
    }

    func metric(_ name: String, _ value: Double, step: Int) { context.metric(name, value, step: step) }

    func checkpointSaved(step: Int) { context.checkpointSaved(step: step) }

    func log(_ message: String) { context.log(message) }
}
