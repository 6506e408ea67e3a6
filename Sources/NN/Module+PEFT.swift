/// Applying, merging and accounting for parameter-efficient fine-tuning on a model built of ``LinearSlot``s.
extension Module {
    /// The slots of the tree with their full names.
    public var namedSlots: [(name: String, slot: LinearSlot)] {
        namedModules.compactMap { entry in (entry.module as? LinearSlot).map { (entry.name, $0) } }
    }

    /// Wraps every slot that `configuration` targets in a ``LoRALinear``; returns the wrapped modules' names.
    ///
    /// Throws when the configuration is invalid or a target entry names no slot (a typo would otherwise train
    /// nothing). Does not freeze anything: see ``trainOnly(matching:)``.
    @discardableResult
    public func applyLoRA(
        _ configuration: LoRAConfiguration, initializer: inout Initializer, context: ContextSource
    ) throws -> [String] {
        try configuration.validate()
        let slots = namedSlots
        for entry in configuration.targetModules
        where !slots.contains(where: { $0.name == entry || $0.name.hasSuffix("." + entry) }) {
            throw PEFTError(
                key: "lora.target_modules", message: "'\(entry)' names no linear projection of the model",
                hint: "projections: "
                    + Set(slots.map { $0.name.split(separator: ".").suffix(2).joined(separator: ".") })
                    .sorted().joined(separator: ", "))
        }
        var wrapped: [String] = []
        for (name, slot) in slots where configuration.targets(name) {
            slot.wrap { current in
                LoRALinear(
                    wrapping: current, rank: configuration.rank, alpha: configuration.alpha,
                    dropout: configuration.dropout, rsLoRA: configuration.rsLoRA, initializer: &initializer,
                    context: context)
            }
            wrapped.append(name)
        }
        return wrapped
    }

    /// Puts a ``BottleneckAdapter`` after the attention and/or feed-forward output projections; returns the
    /// wrapped modules' names. Throws when the configuration is invalid or no slot matches.
    @discardableResult
    public func addBottleneckAdapters(
        _ configuration: BottleneckAdapterConfiguration, initializer: inout Initializer
    ) throws -> [String] {
        let slots = try bottleneckSlots(configuration)
        for (_, slot) in slots {
            let bottleneck = max(1, slot.outputDimensions / configuration.reductionFactor)
            slot.wrap { current in
                BottleneckAdapter(
                    wrapping: current, name: configuration.name, bottleneck: bottleneck,
                    nonLinearity: configuration.nonLinearity, std: configuration.initStd, initializer: &initializer)
            }
        }
        return slots.map(\.name)
    }

    /// The slots a bottleneck adapter goes after: the attention and/or feed-forward output projections. Throws
    /// when the configuration is invalid or no slot matches.
    func bottleneckSlots(
        _ configuration: BottleneckAdapterConfiguration
    ) throws -> [(name: String, slot: LinearSlot)] {
        try configuration.validate()
        func ends(_ name: String, _ entry: String) -> Bool { name == entry || name.hasSuffix("." + entry) }
        let slots = namedSlots.filter { name, _ in
            let attention = ends(name, configuration.attentionOutputModule)
            let ffn = !attention && ends(name, configuration.feedForwardOutputModule)
            return (attention && configuration.afterAttention) || (ffn && configuration.afterFeedForward)
        }
        guard !slots.isEmpty else {
            throw PEFTError(
                key: "adapters",
                message: "no module named '\(configuration.attentionOutputModule)' or "
                    + "'\(configuration.feedForwardOutputModule)' in the model")
        }
        return slots
    }

    /// Merges every LoRA that wraps a slot's base layer into the base weight (`W ← W + s·B·A`) and puts the base
    /// back in the slot; returns the merged modules' names. Throws (before changing anything) when a LoRA sits on
    /// another wrapper.
    @discardableResult
    public func mergeLoRA() throws -> [String] {
        let loras = namedSlots.compactMap { entry in
            (entry.slot.layer as? LoRALinear).map { (entry.name, entry.slot, $0) }
        }
        for (name, _, lora) in loras where !(lora.inner is Linear) {
            throw PEFTError(key: "lora", message: "\(name): the LoRA wraps \(type(of: lora.inner)), not the base layer")
        }
        for (_, slot, lora) in loras {
            try lora.merge()
            slot.unwrap()
        }
        return loras.map(\.0)
    }

    /// Freezes every parameter, then makes those matching `patterns` (``NamePattern``) trainable: PEFT's
    /// "only the adapter (and the listed modules) trains". Returns the trainable names.
    @discardableResult
    public func trainOnly(matching patterns: [String]) -> [String] {
        freeze(matching: ["*"])
        return unfreeze(matching: patterns)
    }

    /// The share of scalar parameters that train, in [0, 1].
    public var trainableShare: Double {
        let total = parameterCount
        return total == 0 ? 0 : Double(trainableParameterCount) / Double(total)
    }
}
