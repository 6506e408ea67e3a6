/// The ChatML chat format (`<|im_start|>role\n…<|im_end|>\n`), recognised in a model's Jinja chat template.
///
/// There is no Jinja engine here: a template is accepted only if it is, character for character, the ChatML
/// template transformers and llama.cpp ship — optionally with a default system message inserted when the
/// conversation does not start with one (as SmolLM2's does). Anything else is an `.unsupported` error rather
/// than a guess at what the template would print.
public struct ChatMLTemplate: Sendable, Equatable {
    /// One turn of a conversation.
    public struct Message: Sendable, Equatable {
        public var role: String
        public var content: String
        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }
    }

    /// The system message used when the conversation has none (nil: none is added).
    public var defaultSystemMessage: String?

    public init(defaultSystemMessage: String? = nil) { self.defaultSystemMessage = defaultSystemMessage }

    private static let turn =
        "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    private static let generation = "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
    private static let defaultPrefix =
        "{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
    private static let defaultSuffix = "<|im_end|>\n' }}{% endif %}"

    /// The Jinja source of this template, exactly as the recognised files spell it.
    public var jinja: String {
        let system = defaultSystemMessage.map { Self.defaultPrefix + $0 + Self.defaultSuffix } ?? ""
        return "{% for message in messages %}" + system + Self.turn + "{% endfor %}" + Self.generation
    }

    /// Recognises `source` (e.g. a GGUF's `tokenizer.chat_template`); throws `.unsupported` otherwise.
    public init(jinja source: String, path: String = "chat template") throws {
        var system: String?
        if let start = source.range(of: Self.defaultPrefix), let end = source.range(of: Self.defaultSuffix),
            start.upperBound <= end.lowerBound
        {
            let text = String(source[start.upperBound..<end.lowerBound])
            // A quote or backslash would be a Jinja escape; we do not interpret those.
            if !text.contains("'") && !text.contains("\\") { system = text }
        }
        let candidate = ChatMLTemplate(defaultSystemMessage: system)
        guard candidate.jinja == source else {
            throw GGUFError(
                .unsupported, at: nil,
                "the chat template is not the ChatML template (only ChatML is implemented; no Jinja engine)",
                path: path)
        }
        self = candidate
    }

    /// The GGUF file's template.
    public init(gguf file: GGUFFile) throws {
        let source = try file.string("tokenizer.chat_template")
        do { try self.init(jinja: source, path: file.path) } catch let e as GGUFError {
            throw file.error(e.code, key: "tokenizer.chat_template", e.message)
        }
    }

    /// The prompt text for `messages`, as transformers' `apply_chat_template(tokenize=False)` renders it;
    /// `addGenerationPrompt` appends the opening of the assistant's turn.
    public func apply(_ messages: [Message], addGenerationPrompt: Bool = false) -> String {
        var out = ""
        if let system = defaultSystemMessage, let first = messages.first, first.role != "system" {
            out += "<|im_start|>system\n" + system + "<|im_end|>\n"
        }
        for m in messages { out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n" }
        if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }
}
