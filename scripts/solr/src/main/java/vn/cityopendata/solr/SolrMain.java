package vn.cityopendata.solr;

import java.nio.file.Path;
import java.util.Properties;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/** Runs Solr on 127.0.0.1:PORT/solr with the given Solr home until the process is killed. */
public final class SolrMain {
  private SolrMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: SolrMain SOLR_HOME PORT");
      System.exit(2);
    }
    System.setProperty("jetty.host", "127.0.0.1");
    System.setProperty("host", "127.0.0.1");
    int port = Integer.parseInt(args[1]);
    JettyConfig config = JettyConfig.builder().setPort(port).setContext("/solr").build();
    JettySolrRunner runner = new JettySolrRunner(Path.of(args[0]).toString(), new Properties(), config);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        runner.stop();
      } catch (Exception e) {
        System.err.println("solr stop failed: " + e);
      }
    }));
    runner.start();
    System.out.println("solr started on port " + runner.getLocalPort());
    Thread.currentThread().join();
  }
}
