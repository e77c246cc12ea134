import Foundation

extension Settings {
    /// Reads the settings the way `serve` does: the environment over the `.env` file in
    /// `directory` (or the file ENV_FILE names), the environment taking precedence.
    public static func load(environment: [String: String], directory: String = FileManager.default.currentDirectoryPath) throws(SettingsError) -> Settings {
        try Settings(reader: EnvironmentReader.layered(environment: environment, directory: directory))
    }
}

extension EnvironmentReader {
    /// A reader over the environment and, beneath it, the `.env` file.
    static func layered(environment: [String: String], directory: String) throws(SettingsError) -> EnvironmentReader {
        let reader = EnvironmentReader(environment: environment)
        _ = reader.raw(.envFile)
        if let file = try EnvFile.load(environment: environment, directory: directory) {
            reader.file = file.values
            reader.filePath = file.path
        }
        return reader
    }
}
