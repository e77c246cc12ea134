import Testing
@testable import IDEOrchestrator

struct PinnedImageTests {
    static let id = "sha256:" + String(repeating: "ab", count: 32)
    static let digest = "sha256:" + String(repeating: "cd", count: 32)

    static func reference(_ name: String, _ held: DockerImage, nodes: Int = 1) async -> String {
        await PinnedImage.reference(for: name, holding: held) { nodes }
    }

    @Test func aLocalImageIsNamedByItsIDOnASingleNodeAndByItsTagOnMore() async {
        let held = DockerImage(id: Self.id, repoTags: ["ide/dev:latest"])
        #expect(await Self.reference("ide/dev:latest", held) == Self.id)
        #expect(await Self.reference("ide/dev:latest", held, nodes: 2) == "ide/dev:latest")
    }

    @Test func aPulledImageIsNamedByTheDigestOfItsRepositoryOnAnySwarm() async {
        let held = DockerImage(id: Self.id, repoTags: ["registry.example:5000/team/ide:1.2"], repoDigests: [
            "mirror.example/ide@sha256:" + String(repeating: "ef", count: 32), "registry.example:5000/team/ide@\(Self.digest)",
        ])
        for nodes in [1, 3] {
            #expect(await Self.reference("registry.example:5000/team/ide:1.2", held, nodes: nodes) == "registry.example:5000/team/ide@\(Self.digest)")
            #expect(await Self.reference("registry.example:5000/team/ide", held, nodes: nodes) == "registry.example:5000/team/ide@\(Self.digest)")
        }
    }

    @Test func dockerHubNamesMatchInTheirLongAndShortForms() async {
        let held = DockerImage(id: Self.id, repoTags: ["ubuntu:24.04"], repoDigests: ["ubuntu@\(Self.digest)"])
        #expect(await Self.reference("docker.io/library/ubuntu:24.04", held) == "ubuntu@\(Self.digest)")
        #expect(await Self.reference("ubuntu:24.04", held) == "ubuntu@\(Self.digest)")
    }

    @Test func aDigestOfAnotherRepositoryIsNotUsed() async {
        let held = DockerImage(id: Self.id, repoTags: ["ide:1"], repoDigests: ["other/ide@\(Self.digest)"])
        #expect(await Self.reference("ide:1", held) == Self.id)
        #expect(await Self.reference("ide:1", held, nodes: 2) == "ide:1")
    }

    @Test func aNameThatIsAlreadyPinnedStaysAsWrittenAndTheNodesAreNotAsked() async {
        let held = DockerImage(id: Self.id, repoTags: [], repoDigests: ["ide@\(Self.digest)"])
        let asked = await PinnedImage.reference(for: "ide:1@\(Self.digest)", holding: held) { Issue.record("nodes asked"); return 1 }
        #expect(asked == "ide:1@\(Self.digest)")
        #expect(await Self.reference(Self.id, held, nodes: 2) == Self.id)
    }

    @Test func repositoriesLoseTheirTagButNotARegistryPort() {
        #expect(PinnedImage.repository(of: "registry:5000/team/ide:1") == "registry:5000/team/ide")
        #expect(PinnedImage.repository(of: "registry:5000/team/ide") == "registry:5000/team/ide")
        #expect(PinnedImage.repository(of: "ide@\(Self.digest)") == "ide")
    }

    @Test func theBlueprintPinsUnlessTheSettingSaysNo() async throws {
        let held = DockerImage(id: Self.id, repoTags: ["ide:test"])
        let pinned = ServiceBlueprint(settings: try testSettings(["IDE_CONTAINER_IMAGE": "ide:test"]))
        let reference = await pinned.imageReference(holding: held) { 1 }
        #expect(reference == Self.id)
        #expect(pinned.spec(for: "aaaaaaaaaaaaaaaa", pooled: true, imageReference: reference).taskTemplate.containerSpec.image == Self.id)
        let named = ServiceBlueprint(settings: try testSettings(["IDE_CONTAINER_IMAGE": "ide:test", "IDE_CONTAINER_IMAGE_PINNED": "false"]))
        #expect(await named.imageReference(holding: held) { 1 } == "ide:test")
    }
}
