package io.fastpull.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.Privileges;
import io.fastpull.proto.containerd.content.v1.ContentGrpc;
import io.fastpull.proto.containerd.content.v1.InfoRequest;
import io.fastpull.proto.containerd.content.v1.ReadContentRequest;
import io.fastpull.proto.containerd.images.v1.GetImageRequest;
import io.fastpull.proto.containerd.images.v1.Image;
import io.fastpull.proto.containerd.images.v1.ImagesGrpc;
import io.fastpull.proto.containerd.images.v1.ListImagesRequest;
import io.fastpull.proto.containerd.leases.v1.AddResourceRequest;
import io.fastpull.proto.containerd.leases.v1.CreateRequest;
import io.fastpull.proto.containerd.leases.v1.DeleteRequest;
import io.fastpull.proto.containerd.leases.v1.LeasesGrpc;
import io.fastpull.proto.containerd.leases.v1.ListRequest;
import io.fastpull.proto.containerd.leases.v1.ListResourcesRequest;
import io.fastpull.proto.containerd.leases.v1.Resource;
import io.fastpull.proto.containerd.types.Descriptor;
import io.fastpull.snapshot.LayerMounter;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The content, images and leases protos against a real containerd 1.6 (field numbers, paths). */
class ContainerdServicesTest {
  private static final Metadata.Key<String> NAMESPACE =
      Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER);

  @TempDir Path dir;
  private DaemonHarness daemon;
  private Containerd containerd;
  private EventLoopGroup group;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    Privileges.requireRoot();
    daemon = DaemonHarness.start(dir.resolve("d"), LayerMounter.none());
    containerd = Containerd.start(dir.resolve("c"), daemon.socket);
    group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    Metadata headers = new Metadata();
    headers.put(NAMESPACE, "default");
    channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(containerd.address.toString()))
        .channelType(EpollDomainSocketChannel.class)
        .eventLoopGroup(group)
        .usePlaintext()
        .intercept(MetadataUtils.newAttachHeadersInterceptor(headers))
        .build();
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (channel != null) {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
      }
      if (containerd != null) {
        containerd.close();
      }
    } finally {
      if (daemon != null) {
        daemon.close();
      }
    }
  }

  @Test
  void imagesContentAndLeasesSpeakContainerdsWireFormat() throws Exception {
    Path archive = dir.resolve("busybox.tar");
    Files.write(archive, ContainerdInteropTest.busyboxArchive());
    containerd.ctr("images", "import", "--no-unpack", archive.toString());
    String name = "fastpull.test/busybox:1";

    var images = ImagesGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    Image image = images.get(GetImageRequest.newBuilder().setName(name).build()).getImage();
    Descriptor target = image.getTarget();
    assertTrue(target.getMediaType().contains("manifest"), target::toString);
    assertTrue(target.getDigest().startsWith("sha256:"), target::toString);
    assertTrue(image.hasCreatedAt());
    List<Image> listed = images.list(ListImagesRequest.newBuilder()
        .addFilters("name==\"" + name + "\"").build()).getImagesList();
    assertEquals(List.of(name), listed.stream().map(Image::getName).toList());

    var content = ContentGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    var info = content.info(InfoRequest.newBuilder().setDigest(target.getDigest()).build()).getInfo();
    assertEquals(target.getSize(), info.getSize());
    ByteArrayOutputStream manifest = new ByteArrayOutputStream();
    content.read(ReadContentRequest.newBuilder().setDigest(target.getDigest()).build())
        .forEachRemaining(r -> manifest.writeBytes(r.getData().toByteArray()));
    String sha = "sha256:" + HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(manifest.toByteArray()));
    assertEquals(target.getDigest(), sha, "the bytes read are the manifest's");

    var leases = LeasesGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    leases.create(CreateRequest.newBuilder().setId("fastpull-test")
        .putAllLabels(Map.of("containerd.io/gc.expire", "2099-01-01T00:00:00Z")).build());
    leases.addResource(AddResourceRequest.newBuilder().setId("fastpull-test")
        .setResource(Resource.newBuilder().setId(target.getDigest()).setType("content")).build());
    assertEquals(List.of(target.getDigest()), leases.listResources(
        ListResourcesRequest.newBuilder().setId("fastpull-test").build()).getResourcesList()
        .stream().map(Resource::getId).toList());
    assertTrue(leases.list(ListRequest.getDefaultInstance()).getLeasesList().stream()
        .anyMatch(l -> l.getId().equals("fastpull-test") && l.hasCreatedAt()));
    leases.delete(DeleteRequest.newBuilder().setId("fastpull-test").setSync(true).build());
    assertFalse(leases.list(ListRequest.getDefaultInstance()).getLeasesList().stream()
        .anyMatch(l -> l.getId().equals("fastpull-test")));
  }
}
