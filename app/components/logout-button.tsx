'use client';
import { signOut } from 'next-auth/react';

/** Ends the session (next-auth sign-out clears the cookie), then back to the login page. */
export function LogoutButton({ label }: { label: string }) {
  return (
    <button
      type="button"
      data-testid="logout"
      onClick={async () => {
        await signOut({ redirect: false });
        window.location.assign('/login?loggedOut=1');
      }}
      className="w-full rounded-md px-3 py-2 text-left text-sm text-slate-300 hover:bg-white/10 hover:text-white"
    >
      {label}
    </button>
  );
}
