/// Which engine events are worth a reconcile pass: those that may concern a live container
/// of this instance, i.e. one of its containers died or the service of a live record was
/// removed. Our own launches and stops, and everything of other instances sharing the engine,
/// cause no pass; the timer's full pass still catches anything no event announced.
enum EventRelevance {
    /// What an event is about.
    enum Subject: Equatable {
        /// Nothing of ours.
        case none
        /// A container of ours that carries no container id: worth a pass.
        case unnamed
        /// Container `id`, if the store still counts on it.
        case container(String)
    }

    /// The container an event may concern: a container of `instance` that died, was killed,
    /// ran out of memory or was destroyed; or a removed service named like ours.
    static func subject(of event: DockerEvent, instance: String) -> Subject {
        let attributes = event.actor.attributes ?? [:]
        switch event.type {
        case "container":
            guard attributes[ServiceBlueprint.instanceLabel] == instance, ["die", "kill", "oom", "destroy"].contains(event.action) else { return .none }
            guard let id = attributes[ServiceBlueprint.idLabel], ContainerID.isWellFormed(id) else { return .unnamed }
            return .container(id)
        case "service":
            // Service events carry only the name, not the labels.
            guard event.action == "remove", let name = attributes["name"], name.hasPrefix("ide-") else { return .none }
            let id = String(name.dropFirst("ide-".count))
            return ContainerID.isWellFormed(id) ? .container(id) : .none
        default:
            return .none
        }
    }

    /// Whether the store still counts on the container: it is live and nobody is stopping it
    /// (a stop removes the service and ends the record itself).
    static func matters(_ record: ContainerRecord?) -> Bool {
        guard let record else { return false }
        return record.status.isLive && record.status != .stopping
    }
}
