#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace hello {

// A growable byte buffer that owns no memory until bytes must outlive one
// read: an idle connection costs nothing, and steady keep-alive traffic
// (whole requests per read) never allocates. Consuming from the front only
// moves a start offset: a read of many pipelined requests, answered a few
// at a time, is not moved once per few requests. The bytes move to the front
// only when room is needed at the end.
class ByteBuffer {
 public:
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::string_view view() const { return {data_.get() + begin_, size_}; }

  // Space for at least `min_free` more bytes at the end.
  [[nodiscard]] char* prepare(std::size_t min_free) {
    if (free_space() < min_free) {
      if (begin_ > 0 && capacity_ - size_ >= min_free) {
        std::memmove(data_.get(), data_.get() + begin_, size_);
      } else {
        const auto capacity = std::max({capacity_ * 2, size_ + min_free, std::size_t{1024}});
        auto grown = std::make_unique_for_overwrite<char[]>(capacity);
        if (size_ > 0) {
          std::memcpy(grown.get(), data_.get() + begin_, size_);
        }
        data_ = std::move(grown);
        capacity_ = capacity;
      }
      begin_ = 0;
    }
    return data_.get() + begin_ + size_;
  }
  [[nodiscard]] std::size_t free_space() const { return capacity_ - begin_ - size_; }
  void commit(std::size_t n) { size_ += n; }

  void append(std::string_view bytes) {
    std::memcpy(prepare(bytes.size()), bytes.data(), bytes.size());
    size_ += bytes.size();
  }

  // Drops the first `n` bytes; an emptied buffer gives its memory back.
  void consume(std::size_t n) {
    if (n >= size_) {
      clear();
      return;
    }
    begin_ += n;
    size_ -= n;
  }

  void clear() {
    data_.reset();
    begin_ = 0;
    size_ = 0;
    capacity_ = 0;
  }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t begin_ = 0;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace hello
