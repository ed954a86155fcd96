// A doubly linked list threaded through its elements, so membership changes
// (a task leaving its thread group, a group leaving its session) allocate
// nothing and cost O(1). An element may sit in several lists, one node each.
#pragma once

#include <cstddef>

namespace sentry::kernel {

template <class T>
struct ListNode {
  T* prev = nullptr;
  T* next = nullptr;
};

template <class T, ListNode<T> T::*kNode>
class IntrusiveList {
 public:
  T* Front() const { return head_; }
  static T* Next(const T* elem) { return (elem->*kNode).next; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Precondition: elem is in no list through kNode.
  void PushBack(T* elem) {
    ListNode<T>& node = elem->*kNode;
    node.prev = tail_;
    node.next = nullptr;
    if (tail_ != nullptr) {
      (tail_->*kNode).next = elem;
    } else {
      head_ = elem;
    }
    tail_ = elem;
    ++size_;
  }

  // Precondition: elem is in this list.
  void Remove(T* elem) {
    ListNode<T>& node = elem->*kNode;
    if (node.prev != nullptr) {
      (node.prev->*kNode).next = node.next;
    } else {
      head_ = node.next;
    }
    if (node.next != nullptr) {
      (node.next->*kNode).prev = node.prev;
    } else {
      tail_ = node.prev;
    }
    node = {};
    --size_;
  }

  // Calls fn(elem) for each element; fn may remove the element it is given.
  template <class Fn>
  void ForEach(Fn&& fn) const {
    for (T* elem = head_; elem != nullptr;) {
      T* next = Next(elem);
      fn(elem);
      elem = next;
    }
  }

 private:
  T* head_ = nullptr;
  T* tail_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace sentry::kernel
