// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A line chart rendered twice from the same geometry: as SVG text and as a PNG through java.awt in
 * headless mode. Hand-written because a chart library would be the simulator's largest dependency for
 * one kind of plot.
 */
public final class Chart {
  public static final int WIDTH = 800;
  public static final int HEIGHT = 500;
  private static final int LEFT = 70;
  private static final int RIGHT = 30;
  private static final int TOP = 75;
  private static final int BOTTOM = 60;
  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};

  private record Series(String name, double[] x, double[] y, boolean dashed) {}

  private final String title;
  private final String xLabel;
  private final String yLabel;
  private final List<Series> series = new ArrayList<>();
  private double yMin = 0;
  private double yMax = Double.NaN;

  public Chart(String title, String xLabel, String yLabel) {
    this.title = title;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
  }

  /** Adds a line; NaN points are skipped. */
  public Chart line(String name, double[] x, double[] y, boolean dashed) {
    series.add(new Series(name, x, y, dashed));
    return this;
  }

  public Chart yRange(double min, double max) {
    yMin = min;
    yMax = max;
    return this;
  }

  /** The x range rounded up to a multiple of a 1-2-5 tick step, so ticks fall on round numbers. */
  private double xMax() {
    double raw = rawXMax();
    double step = niceStep(raw / 5);
    return Math.ceil(raw / step - 1e-9) * step;
  }

  private static double niceStep(double rough) {
    double p = Math.pow(10, Math.floor(Math.log10(Math.max(rough, 1e-9))));
    double f = rough / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
  }

  private int xTicks() {
    double raw = rawXMax();
    double step = niceStep(raw / 5);
    return (int) Math.round(xMax() / step);
  }

  private double rawXMax() {
    double m = 1e-9;
    for (Series s : series) {
      for (double v : s.x) {
        if (!Double.isNaN(v)) {
          m = Math.max(m, v);
        }
      }
    }
    return m;
  }

  private double yTop() {
    if (!Double.isNaN(yMax)) {
      return yMax;
    }
    double m = 1e-9;
    for (Series s : series) {
      for (double v : s.y) {
        if (!Double.isNaN(v)) {
          m = Math.max(m, v);
        }
      }
    }
    return m * 1.05;
  }

  private double px(double x, double xMax) {
    return LEFT + (WIDTH - LEFT - RIGHT) * (x / xMax);
  }

  private double py(double y, double top) {
    return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * ((y - yMin) / (top - yMin));
  }

  private static String fmt(double v) {
    if (Math.abs(v) >= 1000 || v == Math.rint(v)) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  /** The chart as a standalone SVG document. */
  public String toSvg() {
    double xMax = xMax();
    double top = yTop();
    StringBuilder b = new StringBuilder();
    b.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    b.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            + "font-family=\"sans-serif\" font-size=\"12\">\n", WIDTH, HEIGHT, WIDTH, HEIGHT));
    b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"28\" font-size=\"16\">%s</text>\n", LEFT, esc(title)));
    int x0 = LEFT;
    int y0 = HEIGHT - BOTTOM;
    b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
        x0, y0, WIDTH - RIGHT, y0));
    b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
        x0, TOP, x0, y0));
    int xt = xTicks();
    for (int i = 0; i <= xt; i++) {
      double xv = xMax * i / xt;
      double xp = px(xv, xMax);
      b.append(String.format(Locale.ROOT,
          "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\"/>"
              + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
          xp, y0, xp, y0 + 5, xp, y0 + 20, fmt(xv)));
    }
    for (int i = 0; i <= 5; i++) {
      double yv = yMin + (top - yMin) * i / 5;
      double yp = py(yv, top);
      b.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#dddddd\"/>"
              + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
          x0, yp, WIDTH - RIGHT, yp, x0 - 8, yp + 4, fmt(yv)));
    }
    b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
        (LEFT + WIDTH - RIGHT) / 2, HEIGHT - 18, esc(xLabel)));
    b.append(String.format(Locale.ROOT,
        "<text x=\"18\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 18 %d)\">%s</text>\n",
        (TOP + y0) / 2, (TOP + y0) / 2, esc(yLabel)));
    for (int s = 0; s < series.size(); s++) {
      Series ser = series.get(s);
      String color = COLORS[s % COLORS.length];
      StringBuilder d = new StringBuilder();
      boolean pen = false;
      for (int i = 0; i < ser.x.length; i++) {
        if (Double.isNaN(ser.y[i]) || Double.isNaN(ser.x[i])) {
          pen = false;
          continue;
        }
        d.append(pen ? " L" : (d.length() == 0 ? "M" : " M"));
        d.append(String.format(Locale.ROOT, "%.1f %.1f", px(ser.x[i], xMax), py(ser.y[i], top)));
        pen = true;
      }
      if (d.length() > 0) {
        b.append(String.format(Locale.ROOT, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s/>\n",
            d, color, ser.dashed ? " stroke-dasharray=\"6 4\"" : ""));
      }
      int lx = LEFT + 240 * (s % 3);
      int ly = 48 + 16 * (s / 3);
      b.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>"
              + "<text x=\"%d\" y=\"%d\">%s</text>\n",
          lx, ly, lx + 30, ly, color, ser.dashed ? " stroke-dasharray=\"6 4\"" : "", lx + 35, ly + 4,
          esc(ser.name)));
    }
    b.append("</svg>\n");
    return b.toString();
  }

  /** The chart as a {@link #WIDTH} x {@link #HEIGHT} image. */
  public BufferedImage toImage() {
    double xMax = xMax();
    double top = yTop();
    BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, WIDTH, HEIGHT);
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 16));
      g.drawString(title, LEFT, 28);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      int y0 = HEIGHT - BOTTOM;
      g.drawLine(LEFT, y0, WIDTH - RIGHT, y0);
      g.drawLine(LEFT, TOP, LEFT, y0);
      int xt = xTicks();
      for (int i = 0; i <= xt; i++) {
        double xv = xMax * i / xt;
        int xp = (int) px(xv, xMax);
        g.drawLine(xp, y0, xp, y0 + 5);
        String xs = fmt(xv);
        g.drawString(xs, xp - g.getFontMetrics().stringWidth(xs) / 2, y0 + 20);
      }
      for (int i = 0; i <= 5; i++) {
        double yv = yMin + (top - yMin) * i / 5;
        int yp = (int) py(yv, top);
        g.setColor(new Color(0xdd, 0xdd, 0xdd));
        g.drawLine(LEFT, yp, WIDTH - RIGHT, yp);
        g.setColor(Color.BLACK);
        String ys = fmt(yv);
        g.drawString(ys, LEFT - 8 - g.getFontMetrics().stringWidth(ys), yp + 4);
      }
      g.drawString(xLabel, (LEFT + WIDTH - RIGHT) / 2 - g.getFontMetrics().stringWidth(xLabel) / 2, HEIGHT - 18);
      Graphics2D rotated = (Graphics2D) g.create();
      rotated.rotate(-Math.PI / 2, 18, (TOP + y0) / 2.0);
      rotated.drawString(yLabel, 18 - g.getFontMetrics().stringWidth(yLabel) / 2, (TOP + y0) / 2 + 4);
      rotated.dispose();
      for (int s = 0; s < series.size(); s++) {
        Series ser = series.get(s);
        Color color = Color.decode(COLORS[s % COLORS.length]);
        g.setColor(color);
        g.setStroke(ser.dashed
            ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {6f, 4f}, 0f)
            : new BasicStroke(2f));
        Path2D.Double path = new Path2D.Double();
        boolean pen = false;
        for (int i = 0; i < ser.x.length; i++) {
          if (Double.isNaN(ser.y[i]) || Double.isNaN(ser.x[i])) {
            pen = false;
            continue;
          }
          double xp = px(ser.x[i], xMax);
          double yp = py(ser.y[i], top);
          if (pen) {
            path.lineTo(xp, yp);
          } else {
            path.moveTo(xp, yp);
          }
          pen = true;
        }
        g.draw(path);
        int lx = LEFT + 240 * (s % 3);
        int ly = 48 + 16 * (s / 3);
        g.drawLine(lx, ly, lx + 30, ly);
        g.setColor(Color.BLACK);
        g.drawString(ser.name, lx + 35, ly + 4);
      }
    } finally {
      g.dispose();
    }
    return img;
  }

  /** Writes {@code base}.svg and {@code base}.png. */
  public void write(Path dir, String base) throws IOException {
    Files.writeString(dir.resolve(base + ".svg"), toSvg());
    System.setProperty("java.awt.headless", "true");
    ImageIO.write(toImage(), "png", dir.resolve(base + ".png").toFile());
  }
}
