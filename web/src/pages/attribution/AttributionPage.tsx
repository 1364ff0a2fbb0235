export default function AttributionPage(_: { id?: string }) { return <section className="page"><h1>AttributionPage</h1></section>; }
