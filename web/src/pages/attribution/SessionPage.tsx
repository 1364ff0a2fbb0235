export default function SessionPage(_: { id?: string }) { return <section className="page"><h1>SessionPage</h1></section>; }
