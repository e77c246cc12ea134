import GRDB

extension AppDatabase {
    /// A page of containers, newest first, with the total matching count; `search` matches the
    /// start of the id or any part of the bucket name, ignoring case.
    public func containers(status: ContainerStatus?, search: String?, limit: Int, offset: Int) async throws -> (records: [ContainerRecord], total: Int) {
        try await writer.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let status {
                conditions.append("status = ?")
                arguments += [status.rawValue]
            }
            if let search, !search.isEmpty {
                let escaped = Self.likeEscaped(search)
                conditions.append("(id LIKE ? ESCAPE '\\' OR s3Bucket LIKE ? ESCAPE '\\')")
                arguments += ["\(escaped)%", "%\(escaped)%"]
            }
            let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM container" + filter), arguments: arguments) ?? 0
            let records = try ContainerRecord.fetchAll(
                db, sql: "SELECT \(RecordStatements.columns) FROM container\(filter) ORDER BY createdAt DESC, id LIMIT ? OFFSET ?",
                arguments: arguments + [limit, offset]
            )
            return (records, total)
        }
    }

    /// `text` with LIKE's wildcards and its escape character taken literally.
    static func likeEscaped(_ text: String) -> String {
        var result = ""
        for character in text {
            if character == "\\" || character == "%" || character == "_" { result.append("\\") }
            result.append(character)
        }
        return result
    }
}
