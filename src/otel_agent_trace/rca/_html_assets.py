"""Style and script of the HTML report (inline: the page loads nothing from anywhere).

The script only ever sets ``textContent``: span names, attributes and payloads are untrusted and never become HTML.
"""

from __future__ import annotations

CSS = """
:root{--fail:#d64541;--root:#5b2bb5;--cand:#e08e0b;--bar:#8fb3d9;--ink:#1d232b;--mute:#67717d;--line:#e3e7ec}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:var(--ink);background:#f6f7f9}
header{background:#fff;border-bottom:1px solid var(--line);padding:14px 24px}
header h1{font-size:19px;margin:0 0 2px}header .sub{color:var(--mute);font-size:13px}
main{padding:16px 24px;display:grid;grid-template-columns:minmax(0,1fr) 380px;gap:16px;align-items:start}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin-bottom:16px}
h2{font-size:15px;margin:0 0 10px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
.verdict{display:grid;grid-template-columns:110px 1fr;gap:4px 12px;font-size:13px}
.verdict dt{color:var(--mute)}.verdict dd{margin:0;overflow-wrap:anywhere}
.kind{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;font-weight:600;color:#fff;
background:var(--fail)}
.kind.evaluation{background:#b5562b}.kind.user{background:#7a4fa3}.kind.none{background:#888}
.cands{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:10px}
.cand{border:1px solid var(--line);border-radius:8px;padding:10px 12px;cursor:pointer}
.cand:hover{background:#fafbfd}
.cand.r1{border:2px solid var(--root);background:#f5f1fc}
.cand .rank{font-weight:700;color:var(--cand)}.cand.r1 .rank{color:var(--root)}
.cand .nm{font-weight:600;word-break:break-word}.cand .meta{color:var(--mute);font-size:12px}
.cand ul{margin:6px 0 0 16px;padding:0;font-size:12px}.cand li{margin:2px 0;overflow-wrap:anywhere}
.ev-judge{color:#2c6e49;font-weight:600}
.vbadge{display:inline-block;margin-left:6px;padding:0 6px;border-radius:8px;font-size:11px;font-weight:700;color:#fff;
background:#888}
.vbadge.confirmed{background:#2c6e49}.vbadge.refuted{background:#9aa3ad}.vbadge.diverged{background:var(--cand)}
.vbadge.error,.vbadge.timeout{background:var(--fail)}
.verify table{border-collapse:collapse;width:100%;font-size:13px}
.verify td{border-bottom:1px solid var(--line);padding:4px 6px;vertical-align:top;overflow-wrap:anywhere}
.verify tr{cursor:pointer}
.agents .a{display:grid;grid-template-columns:160px 1fr 52px;gap:8px;align-items:center;font-size:13px;margin:3px 0}
.agents .meter{height:10px;background:#eef1f4;border-radius:5px;overflow:hidden}
.agents .meter div{height:10px;background:var(--root)}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12px;color:var(--mute);margin-bottom:8px}
.legend span{display:inline-flex;align-items:center;gap:5px}
.sw{display:inline-block;width:22px;height:10px;border-radius:2px;background:var(--bar)}
.sw.fail{background:var(--fail)}.sw.root{background:var(--root);outline:2px solid #000;outline-offset:1px}
.sw.next{background:var(--bar);outline:2px solid var(--cand)}.sw.eval{background:#b5562b;height:10px;width:4px}
.tl{position:relative}
.axis,.row,.lane{display:grid;grid-template-columns:300px 1fr;align-items:center}
.axis{height:22px;border-bottom:1px solid var(--line);font-size:11px;color:var(--mute)}
.ticks{position:relative;height:22px}
.tick{position:absolute;top:0;height:100%;border-left:1px solid #d5dae0;padding-left:3px;white-space:nowrap}
.track{position:relative;height:18px}
.grid{position:absolute;top:0;bottom:0;border-left:1px dashed #eceff2}
.row{height:22px;font-size:12px;cursor:pointer;border-left:4px solid transparent}
.row:hover,.row.sel{background:#eef3fb}
.row .nm{overflow:hidden;white-space:nowrap;text-overflow:ellipsis;padding-right:8px}
.row.chain .nm{font-weight:600}
.bar{position:absolute;top:3px;height:12px;border-radius:2px;background:var(--bar);min-width:2px}
.bar.fail{background:var(--fail)}
.bar.next{outline:2px solid var(--cand);outline-offset:1px}
.bar.root{background:var(--root);outline:2px solid #000;outline-offset:1px}
.row.root .nm{color:var(--root);font-weight:700}
.tag{display:inline-block;font-size:10px;font-weight:700;padding:0 4px;border-radius:3px;margin-right:4px;color:#fff}
.tag.root{background:var(--root)}.tag.cand{background:var(--cand)}.tag.fail{background:var(--fail)}
.mark{position:absolute;top:1px;width:3px;height:16px;background:#b5562b}
.lanes{margin:6px 0 10px}.lane{height:20px;font-size:12px}
.lane .nm{font-weight:600;padding-left:6px}
.lane .bar{top:4px;height:10px;opacity:.85}
#details{position:sticky;top:12px;max-height:calc(100vh - 24px);overflow:auto}
#details table{border-collapse:collapse;width:100%;font-size:12px;table-layout:fixed}
#details td{border-bottom:1px solid var(--line);padding:3px 4px;vertical-align:top;word-break:break-word}
#details td.k{width:46%;color:var(--mute);word-break:break-all}
#details pre{background:#f4f6f8;border-radius:4px;padding:6px;margin:4px 0;white-space:pre-wrap;word-break:break-word;
max-height:260px;overflow:auto;font-size:11.5px}
#details h3{font-size:13px;margin:12px 0 4px}.hint{color:var(--mute);font-size:12px}
details.raw pre{max-height:420px;overflow:auto;background:#f4f6f8;padding:8px;font-size:11px}
"""

JS = """
(function(){
  var data = JSON.parse(document.getElementById('spans').textContent);
  var box = document.getElementById('details');
  function el(tag, text, cls){var e=document.createElement(tag); if(text!==undefined) e.textContent=text;
    if(cls) e.className=cls; return e;}
  function pretty(v){try{var p=JSON.parse(v); if(p&&typeof p==='object') return JSON.stringify(p,null,1);}catch(e){}
    return String(v);}
  function table(obj){var t=el('table'); Object.keys(obj).forEach(function(k){var r=t.insertRow();
    r.appendChild(el('td',k,'k')); r.appendChild(el('td',String(obj[k])));}); return t;}
  function show(id){
    var s=data[id]; if(!s) return;
    document.querySelectorAll('.row.sel').forEach(function(r){r.classList.remove('sel');});
    var row=document.querySelector('.row[data-id="'+id+'"]'); if(row) row.classList.add('sel');
    box.textContent='';
    box.appendChild(el('h2', s.name));
    box.appendChild(el('div', s.summary, 'hint'));
    if(s.flags.length) box.appendChild(el('div', s.flags.join(' \\u00b7 ')));
    Object.keys(s.payloads).forEach(function(k){
      box.appendChild(el('h3',k)); box.appendChild(el('pre',pretty(s.payloads[k])));});
    box.appendChild(el('h3','Attributes')); box.appendChild(table(s.attributes));
    if(s.events.length){box.appendChild(el('h3','Events'));
      s.events.forEach(function(ev){
        box.appendChild(el('div',ev.name+'  +'+ev.at,'mono')); box.appendChild(table(ev.attributes));});}
    if(s.truncated) box.appendChild(el('div','(values cut to '+s.truncated+' characters in this page)','hint'));
  }
  document.querySelectorAll('[data-id]').forEach(function(n){n.addEventListener('click',function(){show(n.getAttribute('data-id'));});});
  var first=document.body.getAttribute('data-root'); if(first) show(first);
})();
"""
