// SPDX-License-Identifier: MIT
// graft.hpp - optional typed C++ helpers over <graft/graft.h> for patch modules.
//
// graft::shadow<T> attaches a T to existing objects as a shadow variable, running T's
// constructor (with arguments) and destructor. Because the constructor runs before the
// variable is visible, T may hold self-referencing members (a mutex, a list head), which
// is why the kernel replaced its copy-a-template API with ctor callbacks.
//
//   struct conn_extra { std::mutex lock; std::vector<int> pending; };
//   constexpr graft::shadow<conn_extra> conn_extra_sv{0x636f6e6e};
//   conn_extra *x = conn_extra_sv.get_or_create(conn);  // once per conn, from any thread
//   conn_extra_sv.destroy(conn);                         // runs ~conn_extra
//
// Use destroy()/destroy_all() (not graft_shadow_free with a NULL dtor) so ~T runs. T's
// constructor and destructor run under a table lock: keep them short, and do not
// create or destroy shadow variables from them (refused). A T whose constructor throws
// is not attached (create returns nullptr, logged as a failed construction).
#ifndef GRAFT_GRAFT_HPP
#define GRAFT_GRAFT_HPP

#include <graft/graft.h>

#include <cerrno>
#include <cstddef>
#include <new>
#include <tuple>
#include <utility>

namespace graft {

template <class T> class shadow {
	static_assert(alignof(T) <= alignof(std::max_align_t),
		      "shadow data is aligned for max_align_t, not more");

public:
	constexpr explicit shadow(unsigned long id) noexcept : id_(id) {}

	unsigned long id() const noexcept { return id_; }

	// The T attached to obj, or nullptr. Lock-free.
	T *get(const void *obj) const noexcept
	{
		return static_cast<T *>(graft_shadow_get(const_cast<void *>(obj), id_));
	}

	// A new T(args...) attached to obj; nullptr (and a logged warning) if obj has one.
	template <class... Args> T *create(void *obj, Args &&...args) const noexcept
	{
		std::tuple<Args &&...> packed(std::forward<Args>(args)...);
		return static_cast<T *>(graft_shadow_alloc(obj, id_, sizeof(T),
							   &construct<Args...>, &packed));
	}

	// The T attached to obj, or a new T(args...): constructed once even under races.
	template <class... Args> T *get_or_create(void *obj, Args &&...args) const noexcept
	{
		std::tuple<Args &&...> packed(std::forward<Args>(args)...);
		return static_cast<T *>(graft_shadow_get_or_alloc(obj, id_, sizeof(T),
								  &construct<Args...>, &packed));
	}

	// Detaches obj's T and runs ~T; the memory is reclaimed once no reader sees it.
	void destroy(void *obj) const noexcept { graft_shadow_free(obj, id_, &destruct); }

	// destroy() for every object that has this shadow variable.
	void destroy_all() const noexcept { graft_shadow_free_all(id_, &destruct); }

private:
	template <class... Args> static int construct(void *, void *data, void *ctor_data)
	{
		auto &packed = *static_cast<std::tuple<Args &&...> *>(ctor_data);
#if defined(__cpp_exceptions)
		try {
			std::apply([data](auto &&...a) { ::new (data) T(std::forward<Args>(a)...); },
				   packed);
		} catch (...) {
			return -ENOMEM;
		}
#else
		std::apply([data](auto &&...a) { ::new (data) T(std::forward<Args>(a)...); },
			   packed);
#endif
		return 0;
	}

	static void destruct(void *, void *data) { static_cast<T *>(data)->~T(); }

	unsigned long id_;
};

} // namespace graft

#endif // GRAFT_GRAFT_HPP
