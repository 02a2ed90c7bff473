#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file, throwing a `FileError` that names the file and says what went wrong;
/// a file over `maxBytes` is refused before it is read.
public func readFileBytes(_ path: String, maxBytes: Int = .max) throws -> [UInt8] {
  let fd = open(path, O_RDONLY | O_CLOEXEC)
  guard fd >= 0 else { throw FileError(path, systemReason(errno)) }
  defer { close(fd) }
  var status = stat()
  guard fstat(fd, &status) == 0 else { throw FileError(path, systemReason(errno)) }
  if (status.st_mode & S_IFMT) == S_IFDIR { throw FileError(path, "is a directory") }
  if Int(status.st_size) > maxBytes {
    throw FileError(path, "is \(status.st_size) bytes; glimpse reads such a file only up to \(maxBytes) bytes")
  }
  var bytes = [UInt8]()
  bytes.reserveCapacity(Int(status.st_size))
  var chunk = [UInt8](repeating: 0, count: 1 << 16)
  while true {
    let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if count < 0 {
      if errno == EINTR { continue }
      throw FileError(path, systemReason(errno))
    }
    if count == 0 { break }
    bytes.append(contentsOf: chunk[0..<count])
  }
  return bytes
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed to disk,
/// then renamed over the target, so a reader sees the old file or the new one, never half.
public func writeFileAtomically(_ path: String, _ bytes: some Collection<UInt8>) throws {
  let (folder, name) = splitPath(path)
  var template = Array("\(folder)/.\(name).XXXXXX.tmp".utf8CString)
  let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 4) }
  guard fd >= 0 else { throw FileError(path, "cannot create a temporary file: \(systemReason(errno))") }
  let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  var closed = false
  do {
    defer { if !closed { close(fd) } }
    try Array(bytes).withUnsafeBytes { buffer in
      var offset = 0
      while offset < buffer.count {
        let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          throw FileError(path, "cannot write: \(systemReason(errno))")
        }
        offset += written
      }
    }
    guard fchmod(fd, 0o644) == 0, fsync(fd) == 0 else {
      throw FileError(path, "cannot write: \(systemReason(errno))")
    }
    closed = true
    guard close(fd) == 0 else { throw FileError(path, "cannot write: \(systemReason(errno))") }
    guard rename(temporary, path) == 0 else {
      throw FileError(path, "cannot replace: \(systemReason(errno))")
    }
  } catch {
    unlink(temporary)
    throw error
  }
}

func splitPath(_ path: String) -> (folder: String, name: String) {
  guard let slash = path.lastIndex(of: "/") else { return (".", path) }
  let folder = String(path[..<slash])
  return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
}

func systemReason(_ code: Int32) -> String {
  switch code {
  case ENOENT: return "no such file or directory"
  case EACCES: return "permission denied"
  case EISDIR: return "is a directory"
  case ENOTDIR: return "a folder in the path is not a directory"
  default: return String(cString: strerror(code)).lowercased()
  }
}
