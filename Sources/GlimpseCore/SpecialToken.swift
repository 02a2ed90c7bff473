/// Token ids the spec fixes: every vocabulary starts with these four, in this order.
public enum SpecialToken {
  public static let pad: Int32 = 0
  public static let start: Int32 = 1
  public static let end: Int32 = 2
  public static let unknown: Int32 = 3
  /// Their words, by id.
  public static let words = ["<pad>", "<start>", "<end>", "<unk>"]
}
