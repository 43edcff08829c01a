import Environments
import Foundation

/// A self-contained HTML page that plays a recorded episode on a canvas (play, pause, scrub)
/// beside a per-step plot of reward and Q-values. No external assets: it works offline.
public enum EpisodeHTML {
  public static func page(_ episode: Episode, _ simulation: EpisodeSimulation, title: String)
    -> String
  {
    var data: [String: Any] = [
      "title": title, "env": episode.header.environmentID, "rewards": episode.rewards,
      "costs": episode.costs, "ends": episode.ends.map { Int($0.rawValue) },
      "actions": (0..<episode.stepCount).map { EpisodeText.describe(episode.action($0)) },
    ]
    if let field = episode.header.extras.firstIndex(where: { $0.name == "q_values" }) {
      let width = episode.header.extras[field].width
      data["q"] = (0..<episode.stepCount).map { t in
        (0..<width).map { Double(episode.extras[field][t * width + $0]) }
      }
      // The legend names gridworld actions by their move, others by index.
      let moves = ["up", "right", "down", "left", "stay"]
      let isGrid = episode.header.environmentID.hasPrefix("gridworld/")
      data["qNames"] = (0..<width).map { isGrid && $0 < moves.count ? moves[$0] : "a=\($0)" }
    }
    switch simulation.frames {
    case .grid(let map, let blocked, let positions):
      data["kind"] = "grid"
      data["rows"] = map.rows
      data["columns"] = map.columns
      data["cells"] = map.cells.map { cell -> Int in
        cell == .barrier && blocked ? 1 : Int(cell.rawValue)
      }
      data["positions"] = positions
    case .physical(let names, let states):
      data["kind"] = "physical"
      data["names"] = names
      data["states"] = states
    case .observations:
      data["kind"] = "observations"
      let w = episode.header.observationWidth
      data["states"] = (0...episode.stepCount).map { t in
        (0..<w).map { Double(episode.observations[t * w + $0]) }
      }
    }
    let json =
      (try? JSONSerialization.data(withJSONObject: data, options: [.sortedKeys]))
      .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    let safeTitle = title.replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
      of: "&", with: "&amp;")
    return template.replacingOccurrences(of: "__TITLE__", with: safeTitle)
      .replacingOccurrences(of: "__DATA__", with: json.replacingOccurrences(of: "</", with: "<\\/"))
  }

  static let template = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>__TITLE__</title>
    <style>
    body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#f6f7f9}
    .card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:16px;max-width:900px}
    canvas{display:block;margin:8px 0;background:#fff}
    #status{font-family:ui-monospace,monospace;font-size:13px;min-height:1.4em}
    .controls{display:flex;gap:8px;align-items:center}
    input[type=range]{flex:1}
    </style></head><body><div class="card">
    <h2>__TITLE__</h2>
    <canvas id="world" width="860" height="360"></canvas>
    <div class="controls"><button id="play">Play</button><input id="scrub" type="range" min="0" value="0">
    <select id="speed"><option value="2">2 steps/s</option><option value="10" selected>10 steps/s</option><option value="30">30 steps/s</option><option value="100">100 steps/s</option></select></div>
    <div id="status"></div>
    <canvas id="plot" width="860" height="220"></canvas>
    </div>
    <script>
    const D = __DATA__;
    const T = D.rewards.length;
    const world = document.getElementById('world').getContext('2d');
    const plot = document.getElementById('plot').getContext('2d');
    const scrub = document.getElementById('scrub'); scrub.max = T;
    let t = 0, timer = null;
    const colors = ['#fff','#444','#c8e6c9','#2e7d32','#e65100','#90a4ae'];
    function drawGrid(){
      const W=860,H=360,s=Math.min(W/D.columns,H/D.rows); world.clearRect(0,0,W,H);
      for(let r=0;r<D.rows;r++)for(let c=0;c<D.columns;c++){world.fillStyle=colors[D.cells[r*D.columns+c]];world.fillRect(c*s,r*s,s-1,s-1);}
      world.strokeStyle='#1565c0';world.lineWidth=Math.max(2,s/6);world.beginPath();
      for(let k=0;k<=t;k++){const p=D.positions[k],x=(p%D.columns+0.5)*s,y=(Math.floor(p/D.columns)+0.5)*s;k?world.lineTo(x,y):world.moveTo(x,y);}
      world.stroke();const p=D.positions[t];world.fillStyle='#d32f2f';world.beginPath();
      world.arc((p%D.columns+0.5)*s,(Math.floor(p/D.columns)+0.5)*s,s/3,0,7);world.fill();
    }
    function drawPhysical(){
      const W=860,H=360,s=D.states[Math.min(t,D.states.length-1)];world.clearRect(0,0,W,H);world.lineWidth=4;
      if(D.env.startsWith('CartPole')){const x=W/2+s[0]/2.4*(W/2-60),y=260;world.fillStyle='#888';world.fillRect(0,y+20,W,3);
        world.fillStyle='#1565c0';world.fillRect(x-30,y,60,24);world.strokeStyle='#e65100';world.beginPath();world.moveTo(x,y);
        world.lineTo(x+150*Math.sin(s[2]),y-150*Math.cos(s[2]));world.stroke();}
      else if(D.env.startsWith('MountainCar')){world.strokeStyle='#888';world.beginPath();
        for(let i=0;i<=100;i++){const p=-1.2+1.8*i/100,X=(p+1.2)/1.8*W,Y=330-Math.sin(3*p)*120-130;i?world.lineTo(X,Y):world.moveTo(X,Y);}world.stroke();
        const p=s[0],X=(p+1.2)/1.8*W,Y=330-Math.sin(3*p)*120-130;world.fillStyle='#1565c0';world.beginPath();world.arc(X,Y-10,10,0,7);world.fill();}
      else if(D.env.startsWith('Pendulum')){world.strokeStyle='#e65100';world.beginPath();world.moveTo(W/2,H/2);
        world.lineTo(W/2+140*Math.sin(s[0]),H/2-140*Math.cos(s[0]));world.stroke();}
      else if(D.env.startsWith('Acrobot')){const x1=W/2+80*Math.sin(s[0]),y1=120+80*Math.cos(s[0]);
        world.strokeStyle='#1565c0';world.beginPath();world.moveTo(W/2,120);world.lineTo(x1,y1);world.stroke();
        world.strokeStyle='#e65100';world.beginPath();world.moveTo(x1,y1);world.lineTo(x1+80*Math.sin(s[0]+s[1]),y1+80*Math.cos(s[0]+s[1]));world.stroke();}
      drawBars(s, D.names);
    }
    function drawBars(values, names){
      world.font='12px monospace';world.fillStyle='#222';
      values.slice(0,8).forEach((v,i)=>{world.fillText((names?names[i]:'obs['+i+']')+' '+v.toFixed(3),10,18+16*i);});
    }
    function drawObservations(){world.clearRect(0,0,860,360);drawBars(D.states[t]);}
    function drawPlot(){
      // Reward and each action's Q per step, with a legend, step ticks and value ticks.
      const W=860,H=220,L=48,R=12,TOP=30,B=34;plot.clearRect(0,0,W,H);
      const series=[D.rewards.slice()],names=['reward'];
      if(D.q)for(let a=0;a<D.q[0].length;a++){series.push(D.q.map(r=>r[a]));names.push('Q('+D.qNames[a]+')');}
      let lo=Infinity,hi=-Infinity;series.forEach(s=>s.forEach(v=>{lo=Math.min(lo,v);hi=Math.max(hi,v);}));if(hi===lo){hi+=1;lo-=1;}
      const X=i=>L+(W-L-R)*i/Math.max(1,T-1),Y=v=>H-B-(H-B-TOP)*(v-lo)/(hi-lo);
      const pal=['#d32f2f','#1565c0','#2e7d32','#6a1b9a','#ef6c00','#00838f'];
      plot.strokeStyle='#bbb';plot.lineWidth=1;plot.beginPath();plot.moveTo(L,TOP);plot.lineTo(L,H-B);plot.lineTo(W-R,H-B);plot.stroke();
      plot.fillStyle='#555';plot.font='11px sans-serif';plot.textAlign='center';plot.textBaseline='top';
      // Step ticks at 1, 2 or 5 times a power of ten, about eight of them; series index i is step i+1.
      const raw=Math.max(1,T/8),p10=Math.pow(10,Math.floor(Math.log10(raw)));
      const every=[1,2,5,10].map(f=>f*p10).find(v=>v>=raw);
      const ticks=[1];for(let k=every;k<=T;k+=every)if(k>1)ticks.push(k);
      ticks.forEach(k=>{const x=X(k-1);plot.beginPath();plot.moveTo(x,H-B);plot.lineTo(x,H-B+4);plot.stroke();plot.fillText(String(k),x,H-B+6);});
      plot.textAlign='right';plot.fillText('step',W-R,H-14);
      plot.textBaseline='middle';
      [lo,(lo+hi)/2,hi].forEach(v=>{const y=Y(v);plot.beginPath();plot.moveTo(L-4,y);plot.lineTo(L,y);plot.stroke();plot.fillText(Number(v.toPrecision(3)).toString(),L-6,y);});
      series.forEach((s,k)=>{plot.strokeStyle=pal[k%pal.length];plot.lineWidth=k?1.5:2;plot.beginPath();s.forEach((v,i)=>i?plot.lineTo(X(i),Y(v)):plot.moveTo(X(i),Y(v)));plot.stroke();});
      plot.strokeStyle='#999';plot.lineWidth=1;plot.beginPath();plot.moveTo(X(Math.max(0,t-1)),TOP);plot.lineTo(X(Math.max(0,t-1)),H-B);plot.stroke();
      // The legend, one swatch per line, across the top.
      plot.textAlign='left';plot.font='12px sans-serif';let lx=L;
      names.forEach((name,k)=>{plot.fillStyle=pal[k%pal.length];plot.fillRect(lx,9,14,4);plot.fillStyle='#222';plot.fillText(name,lx+18,11);lx+=26+plot.measureText(name).width;});
    }
    function status(){let total=0;for(let k=0;k<t;k++)total+=D.rewards[k];let s='step '+t+'/'+T+'  return '+total.toFixed(2);
      if(t>0){s+='  action '+D.actions[t-1]+'  reward '+D.rewards[t-1].toFixed(3);if(D.costs[t-1]>0)s+='  COST';
        if(D.q)s+='  Q ['+D.q[t-1].map(v=>v.toFixed(2)).join(' ')+']';if(D.ends[t-1])s+=D.ends[t-1]==1?'  (terminated)':'  (truncated)';}
      document.getElementById('status').textContent=s;}
    function draw(){if(D.kind==='grid')drawGrid();else if(D.kind==='physical')drawPhysical();else drawObservations();drawPlot();status();scrub.value=t;}
    function step(){if(t>=T){stop();return;}t++;draw();}
    function stop(){clearInterval(timer);timer=null;document.getElementById('play').textContent='Play';}
    document.getElementById('play').onclick=()=>{if(timer){stop();return;}if(t>=T)t=0;
      timer=setInterval(step,1000/Number(document.getElementById('speed').value));document.getElementById('play').textContent='Pause';};
    scrub.oninput=()=>{t=Number(scrub.value);draw();};
    draw();
    </script></body></html>
    """
}
