/// A parameter-efficient fine-tuning configuration that cannot be applied to a model: a target that names no
/// module, a rank or size out of range, a merge of something that is not a LoRA on a base weight.
public struct PEFTError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The configuration key at fault (`lora.target_modules`, `adapters.reduction_factor`).
    public var key: String
    public var message: String
    public var hint: String?

    public init(key: String, message: String, hint: String? = nil) {
        self.key = key
        self.message = message
        self.hint = hint
    }

    public var description: String { "\(key): \(message)" + (hint.map { " (hint: \($0))" } ?? "") }
}
