// SPDX-License-Identifier: MIT
// graft.hpp - optional typed C++ helpers over <graft/graft.h> for patch modules.
//
// graft::shadow<T> is a shadow variable type (struct graft_shadow_type) whose ctor runs
// T's constructor (with arguments) and whose dtor runs ~T. Because the constructor runs
// before the variable is visible, T may hold self-referencing members (a mutex, a list
// head), which is why the kernel replaced its copy-a-template API with ctor callbacks.
//
//   struct conn_extra { std::mutex lock; std::vector<int> pending; };
//   constexpr graft::shadow<conn_extra> conn_extra_sv{0x636f6e6e};
//   const graft_shadow_type *const types[] = {conn_extra_sv.type(), nullptr};
//   // ... graft_object{..., types}: registered while the object is patched
//   conn_extra *x = conn_extra_sv.get_or_create(conn);  // once per conn, from any thread
//   conn_extra_sv.destroy(conn);                         // runs ~conn_extra
//
// Its calls are the typed calls: the type must be registered (listed in an object's
// shadow_types or a state's shadow_type), else they log an error and return nullptr.
// When its last user goes, every remaining T is destroyed with ~T. T's constructor and
// destructor run under a table lock: keep them short, and do not create or destroy
// shadow variables from them (refused). A T whose constructor throws is not attached
// (create returns nullptr, logged as a failed construction).
#ifndef GRAFT_GRAFT_HPP
#define GRAFT_GRAFT_HPP

#include <graft/graft.h>

#include <cerrno>
#include <cstddef>
#include <new>
#include <tuple>
#include <type_traits>
#include <utility>

namespace graft {

template <class T> class shadow {
	static_assert(alignof(T) <= alignof(std::max_align_t),
		      "shadow data is aligned for max_align_t, not more");

public:
	constexpr explicit shadow(unsigned long id) noexcept
	    : type_{id, &construct, &destruct}
	{
	}

	unsigned long id() const noexcept { return type_.id; }

	// The type, for graft_object.shadow_types or graft_state.shadow_type.
	constexpr const graft_shadow_type *type() const noexcept { return &type_; }

	// The T attached to obj, or nullptr. Lock-free.
	T *get(const void *obj) const noexcept
	{
		return static_cast<T *>(graft_shadow_get_typed(const_cast<void *>(obj), &type_));
	}

	// A new T(args...) attached to obj; nullptr (and a logged warning) if obj has one.
	template <class... Args> T *create(void *obj, Args &&...args) const noexcept
	{
		std::tuple<Args &&...> packed(std::forward<Args>(args)...);
		args_thunk thunk{&construct_with<Args...>, &packed};
		return static_cast<T *>(graft_shadow_alloc_typed(obj, &type_, sizeof(T), &thunk));
	}

	// The T attached to obj, or a new T(args...): constructed once even under races.
	template <class... Args> T *get_or_create(void *obj, Args &&...args) const noexcept
	{
		std::tuple<Args &&...> packed(std::forward<Args>(args)...);
		args_thunk thunk{&construct_with<Args...>, &packed};
		return static_cast<T *>(
			graft_shadow_get_or_alloc_typed(obj, &type_, sizeof(T), &thunk));
	}

	// Detaches obj's T and runs ~T; the memory is reclaimed once no reader sees it.
	void destroy(void *obj) const noexcept { graft_shadow_free_typed(obj, &type_); }

	// destroy() for every object that has this shadow variable.
	void destroy_all() const noexcept { graft_shadow_free_all_typed(&type_); }

private:
	// What the typed calls pass as ctor_data: T's constructor for these arguments.
	struct args_thunk {
		void (*construct)(void *data, void *packed);
		void *packed;
	};

	template <class... Args> static void construct_with(void *data, void *packed)
	{
		std::apply([data](auto &&...a) { ::new (data) T(std::forward<Args>(a)...); },
			   *static_cast<std::tuple<Args &&...> *>(packed));
	}

	// The type's ctor. ctor_data NULL (a C caller of the typed calls): T(), if T has one.
	static int construct(void *, void *data, void *ctor_data)
	{
		auto *thunk = static_cast<args_thunk *>(ctor_data);
		if (!thunk && !std::is_default_constructible<T>::value)
			return -EINVAL; // no arguments for T's constructor
#if defined(__cpp_exceptions)
		try {
			construct_or_default(data, thunk);
		} catch (...) {
			return -ENOMEM;
		}
#else
		construct_or_default(data, thunk);
#endif
		return 0;
	}

	static void construct_or_default(void *data, args_thunk *thunk)
	{
		if (thunk)
			thunk->construct(data, thunk->packed);
		else
			default_construct(data, std::is_default_constructible<T>{});
	}
	static void default_construct(void *data, std::true_type)
	{
		::new (data) T();
	}
	static void default_construct(void *, std::false_type) {}

	static void destruct(void *, void *data)
	{
		static_cast<T *>(data)->~T();
	}

	graft_shadow_type type_;
};

} // namespace graft

#endif // GRAFT_GRAFT_HPP
