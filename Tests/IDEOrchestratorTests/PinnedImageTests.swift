import Testing
@testable import IDEOrchestrator

struct PinnedImageTests {
    static let id = "sha256:" + String(repeating: "ab", count: 32)
    static let digest = "sha256:" + String(repeating: "cd", count: 32)

    @Test func aLocalImageIsNamedByItsID() {
        let held = DockerImage(id: Self.id, repoTags: ["ide/dev:latest"])
        #expect(PinnedImage.reference(for: "ide/dev:latest", holding: held) == Self.id)
    }

    @Test func aPulledImageIsNamedByTheDigestOfItsRepository() {
        let held = DockerImage(id: Self.id, repoTags: ["registry.example:5000/team/ide:1.2"], repoDigests: [
            "mirror.example/ide@sha256:" + String(repeating: "ef", count: 32), "registry.example:5000/team/ide@\(Self.digest)",
        ])
        #expect(PinnedImage.reference(for: "registry.example:5000/team/ide:1.2", holding: held) == "registry.example:5000/team/ide@\(Self.digest)")
        #expect(PinnedImage.reference(for: "registry.example:5000/team/ide", holding: held) == "registry.example:5000/team/ide@\(Self.digest)")
    }

    @Test func dockerHubNamesMatchInTheirLongAndShortForms() {
        let held = DockerImage(id: Self.id, repoTags: ["ubuntu:24.04"], repoDigests: ["ubuntu@\(Self.digest)"])
        #expect(PinnedImage.reference(for: "docker.io/library/ubuntu:24.04", holding: held) == "ubuntu@\(Self.digest)")
        #expect(PinnedImage.reference(for: "ubuntu:24.04", holding: held) == "ubuntu@\(Self.digest)")
    }

    @Test func aDigestOfAnotherRepositoryIsNotUsedTheIDIs() {
        let held = DockerImage(id: Self.id, repoTags: ["ide:1"], repoDigests: ["other/ide@\(Self.digest)"])
        #expect(PinnedImage.reference(for: "ide:1", holding: held) == Self.id)
    }

    @Test func aNameThatIsAlreadyPinnedStaysAsWritten() {
        let held = DockerImage(id: Self.id, repoTags: [], repoDigests: ["ide@\(Self.digest)"])
        #expect(PinnedImage.reference(for: "ide:1@\(Self.digest)", holding: held) == "ide:1@\(Self.digest)")
        #expect(PinnedImage.reference(for: Self.id, holding: held) == Self.id)
    }

    @Test func repositoriesLoseTheirTagButNotARegistryPort() {
        #expect(PinnedImage.repository(of: "registry:5000/team/ide:1") == "registry:5000/team/ide")
        #expect(PinnedImage.repository(of: "registry:5000/team/ide") == "registry:5000/team/ide")
        #expect(PinnedImage.repository(of: "ide@\(Self.digest)") == "ide")
    }

    @Test func theBlueprintPinsUnlessTheSettingSaysNo() throws {
        let held = DockerImage(id: Self.id, repoTags: ["ide:test"])
        let pinned = ServiceBlueprint(settings: try testSettings(["IDE_CONTAINER_IMAGE": "ide:test"]))
        #expect(pinned.imageReference(holding: held) == Self.id)
        #expect(pinned.spec(for: "aaaaaaaaaaaaaaaa", pooled: true, imageReference: pinned.imageReference(holding: held)).taskTemplate.containerSpec.image == Self.id)
        let named = ServiceBlueprint(settings: try testSettings(["IDE_CONTAINER_IMAGE": "ide:test", "IDE_CONTAINER_IMAGE_PINNED": "false"]))
        #expect(named.imageReference(holding: held) == "ide:test")
    }
}
