import ArgumentParser
import Foundation
import IDEOrchestrator

@main
struct IDEOrchestratorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ide-orchestrator",
        abstract: "Keeps a pool of warm IDE containers on Docker Swarm and hands them out.",
        subcommands: [Serve.self, DotEnv.self]
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP API and the background loops. Configuration comes from the environment over .env (see ENVIRONMENT_VARIABLES.md)."
    )

    func run() async throws {
        MemoryTuning.apply()
        let settings: Settings
        do {
            settings = try Settings.load(environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("ide-orchestrator: invalid configuration: \(error)\n".utf8))
            throw ExitCode(78)
        }
        let metrics = OrchestratorMetrics()
        Observability.bootstrap(settings: settings, metrics: metrics)
        do {
            let app = try await buildApplication(settings: settings, metrics: metrics)
            try await app.runService()
        } catch let error as StoreOpenError {
            FileHandle.standardError.write(Data("ide-orchestrator: \(error)\n".utf8))
            throw ExitCode(74)
        }
    }
}

struct DotEnv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dotenv",
        abstract: "Print the .env file's (or ENV_FILE's) settings that the environment does not set, as shell export lines for scripts."
    )

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        do {
            if let file = try EnvFile.load(environment: environment, directory: FileManager.default.currentDirectoryPath) {
                print(file.shellExports(under: environment), terminator: "")
            }
        } catch {
            FileHandle.standardError.write(Data("ide-orchestrator: invalid configuration: \(error)\n".utf8))
            throw ExitCode(78)
        }
    }
}
