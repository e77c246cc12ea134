/// A claim found a live container already holding its bucket and claimed nothing.
public struct BucketHeld: Error, Sendable, Equatable {
    /// The bucket.
    public var bucket: String
}
