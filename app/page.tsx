import { redirect } from 'next/navigation';
import { getConfig } from '@/lib/config';
import { getCurrentUser } from '@/lib/session';

// Reads the provider name from the configuration at request time, not at build time.
export const dynamic = 'force-dynamic';

export default async function HomePage() {
  // signed in already: straight to the portal
  if (await getCurrentUser()) redirect('/dashboard');
  const { provider } = getConfig();
  return (
    <main className="mx-auto flex min-h-screen max-w-2xl flex-col justify-center gap-6 px-6 py-16">
      <p className="text-sm font-semibold uppercase tracking-wide text-blue-700">
        Posta Elettronica Certificata
      </p>
      <h1 className="text-4xl font-bold">{provider.name}</h1>
      <p className="text-lg text-slate-700">
        Portale del gestore PEC per il dominio <span className="font-mono">{provider.mailDomain}</span>:
        gestione delle caselle, dei domini e delle ricevute di accettazione e consegna.
      </p>
      <div>
        <a
          href="/login"
          className="inline-block rounded-md bg-blue-700 px-5 py-2.5 font-medium text-white hover:bg-blue-800 focus:outline-none focus:ring-2 focus:ring-blue-500 focus:ring-offset-2"
        >
          Accedi
        </a>
      </div>
    </main>
  );
}
