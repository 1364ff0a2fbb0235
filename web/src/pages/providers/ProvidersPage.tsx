export default function ProvidersPage(_: { id?: string }) { return <section className="page"><h1>ProvidersPage</h1></section>; }
