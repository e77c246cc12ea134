/// The name an IDE service gives its image so that no task start asks a registry for it.
///
/// Swarm's executor pulls the image at every task start unless the service names it by image
/// id, or by digest when that digest is present locally; without a reachable registry each
/// start first waits for the lookup to fail (measured here: 40 services took 12 s to run when
/// named by tag, 6.3 s by id). Pinning also makes every container of a deployment run the
/// same image until the name is pointed elsewhere, as `docker service create` does by resolving
/// the tag to a digest.
///
/// An image from a registry is named by its digest, which every node can pull. One that came
/// from no registry (built or imported) is named by its id only on a single-node swarm: the
/// same image imported on two nodes has two ids, so on more nodes it keeps its tag.
enum PinnedImage {
    /// What to put in the service spec for `name`, given what the engine holds under it and,
    /// asked only when the image has no digest of `name`'s repository, the swarm's node count.
    /// `name` itself when it is already pinned.
    static func reference(for name: String, holding image: DockerImage, swarmNodes: () async throws -> Int) async rethrows -> String {
        if name.contains("@") || isImageID(name) { return name }
        let wanted = familiar(repository(of: name))
        if let digest = (image.repoDigests ?? []).first(where: { familiar(repository(of: $0)) == wanted }) {
            return digest
        }
        return try await swarmNodes() == 1 ? image.id : name
    }

    /// `name` without its tag or digest: `registry:5000/team/ide:1` -> `registry:5000/team/ide`.
    static func repository(of name: String) -> String {
        let undigested = name.split(separator: "@", maxSplits: 1).first.map(String.init) ?? name
        guard let colon = undigested.lastIndex(of: ":"), !undigested[colon...].contains("/") else { return undigested }
        return String(undigested[..<colon])
    }

    /// Docker Hub's long forms written the short way: `docker.io/library/ubuntu` -> `ubuntu`.
    static func familiar(_ repository: String) -> String {
        var name = Substring(repository)
        for prefix in ["docker.io/", "index.docker.io/"] where name.hasPrefix(prefix) {
            name = name.dropFirst(prefix.count)
        }
        if name.hasPrefix("library/") { name = name.dropFirst("library/".count) }
        return String(name)
    }

    private static func isImageID(_ name: String) -> Bool {
        let hex = name.dropFirst("sha256:".count)
        return name.hasPrefix("sha256:") && hex.count == 64 && hex.allSatisfy(\.isHexDigit)
    }
}
