import Foundation

extension CurlDockerEngine {
    /// Adds labels to a service by editing its spec as the engine returned it, untouched
    /// otherwise: a spec read back into `ServiceSpec` and sent again could differ in a field
    /// this client does not model, and a changed task template restarts the task. A version
    /// that moved meanwhile (another update) is read again, a few times.
    public func addServiceLabels(_ id: String, _ labels: [String: String]) async throws {
        for attempt in 1...3 {
            let response = try await send("GET", "/services/\(id.pathEscaped)", notFound: .serviceNotFound)
            guard var service = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
                  var spec = service["Spec"] as? [String: Any],
                  let version = (service["Version"] as? [String: Any])?["Index"] as? Int
            else { throw DockerError(.invalidResponse, status: response.status, message: "could not read service \(id)") }
            var current = spec["Labels"] as? [String: String] ?? [:]
            if labels.allSatisfy({ current[$0.key] == $0.value }) { return }
            current.merge(labels) { _, new in new }
            spec["Labels"] = current
            service = spec
            do {
                _ = try await send("POST", "/services/\(id.pathEscaped)/update?version=\(version)", body: try JSONSerialization.data(withJSONObject: service), notFound: .serviceNotFound)
                return
            } catch let error as DockerError where attempt < 3 && (error.status == 500 || error.code == .conflict) && error.message.contains("out of sequence") {
                continue
            }
        }
    }
}
