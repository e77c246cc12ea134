import Foundation

/// The database at `DATABASE_PATH` cannot be opened: the service cannot start.
public struct StoreOpenError: Error, Sendable, CustomStringConvertible {
    /// The configured path.
    public let path: String
    /// Why, in words.
    public let reason: String

    public var description: String { "cannot open the database DATABASE_PATH=\(path): \(reason)" }

    /// The nearest ancestor of `path` that exists and is not a directory, if any.
    static func firstFileInTheWay(of path: String) -> String? {
        var url = URL(fileURLWithPath: path)
        while url.path != "/" {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
                return isDirectory.boolValue ? nil : url.path
            }
            url.deleteLastPathComponent()
        }
        return nil
    }
}
